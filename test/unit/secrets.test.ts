import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../server/auth/password";
import { seal, unseal } from "../../server/catalog-secrets/seal";
import { useTempCatalog } from "../helpers/catalog";

const dir = useTempCatalog();

describe("secrets at rest", () => {
  it("seals and unseals, bound to their context", () => {
    const s = seal("p@ss w0rd", "host:h1:password");
    expect(s).not.toContain("p@ss");
    expect(unseal(s, "host:h1:password")).toBe("p@ss w0rd");
    expect(() => unseal(s, "host:h2:password")).toThrow(/cannot be decrypted/);
  });

  it("generates the key file with mode 0600 on first use", () => {
    seal("x", "c");
    const st = fs.statSync(path.join(dir, "secret.key"));
    expect(st.mode & 0o777).toBe(0o600);
  });

  it("a tampered value is rejected", () => {
    const s = seal("secret", "ctx");
    const raw = Buffer.from(s.slice(3), "base64");
    raw[raw.length - 1]! ^= 1;
    expect(() => unseal("v1:" + raw.toString("base64"), "ctx")).toThrow();
  });

  it("DBBACKUP_SECRET_KEY overrides the key file", () => {
    const s = seal("a", "ctx");
    process.env.DBBACKUP_SECRET_KEY = "another key entirely";
    try {
      expect(() => unseal(s, "ctx")).toThrow(/secret key changed/);
      expect(unseal(seal("b", "ctx"), "ctx")).toBe("b");
    } finally {
      delete process.env.DBBACKUP_SECRET_KEY;
    }
  });
});

describe("passwords", () => {
  it("hashes with scrypt and verifies", async () => {
    const h = await hashPassword("correct horse battery");
    expect(h).toMatch(/^scrypt\$/);
    expect(await verifyPassword("correct horse battery", h)).toBe(true);
    expect(await verifyPassword("correct horse batterz", h)).toBe(false);
  });
});
