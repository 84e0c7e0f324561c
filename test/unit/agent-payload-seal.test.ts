import { describe, expect, it } from "vitest";
import { agentKeyPair, openSealed, sealForAgent } from "../../server/agents/payload-seal";
import { bearerToken, hashAgentToken, newAgentToken } from "../../server/agents/tokens";

describe("agent payload sealing", () => {
  const token = newAgentToken();
  const th = hashAgentToken(token);
  const secret = { host: { password: "s3cret-pw" }, target: { secretAccessKey: "AKIA-secret" } };

  it("opens for the key pair it was sealed for, and the secrets are not in the sealed text", () => {
    const k = agentKeyPair();
    const sealed = sealForAgent(secret, k.publicKey, th, "run:r1:fence:3");
    expect(JSON.stringify(sealed)).not.toMatch(/s3cret-pw|AKIA-secret/);
    expect(openSealed(sealed, k.privateKey, th, "run:r1:fence:3")).toEqual(secret);
  });

  it("refuses another key pair, another token, another run or fence, and any altered byte", () => {
    const k = agentKeyPair();
    const sealed = sealForAgent(secret, k.publicKey, th, "run:r1:fence:3");
    expect(() => openSealed(sealed, agentKeyPair().privateKey, th, "run:r1:fence:3")).toThrow();
    expect(() => openSealed(sealed, k.privateKey, hashAgentToken(newAgentToken()), "run:r1:fence:3")).toThrow();
    expect(() => openSealed(sealed, k.privateKey, th, "run:r1:fence:4")).toThrow();
    const ct = Buffer.from(sealed.ct, "base64");
    ct[0] ^= 1;
    expect(() => openSealed({ ...sealed, ct: ct.toString("base64") }, k.privateKey, th, "run:r1:fence:3")).toThrow();
  });

  it("tokens are random, hashed, and read only from a Bearer header", () => {
    expect(newAgentToken()).not.toBe(newAgentToken());
    expect(newAgentToken()).toMatch(/^dbba_[A-Za-z0-9_-]{43}$/);
    expect(hashAgentToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(token)).toBeNull();
    expect(bearerToken(null)).toBeNull();
  });
});
