import { describe, expect, it } from "vitest";
import { db } from "../../server/db/client";
import { createPolicy } from "../../server/policies/manage-policies";
import { exportPolicyYaml, importPolicyYaml } from "../../server/policies/policy-yaml-io";
import { useTempCatalog } from "../helpers/catalog";

useTempCatalog();
const actor = { system: "test" };

describe("policy YAML import/export (the seed's structure)", () => {
  it("exports with names, and imports back into the same policy", async () => {
    await db().host.create({ data: { id: "h1", name: "shop-primary", user: "root" } });
    await db().storageTarget.create({ data: { id: "t1", name: "s3-backups", kind: "local", path: "/tmp/x" } });
    const p = await createPolicy({
      input: { name: "shop nightly", hostId: "h1", targetId: "t1", engine: "auto", databases: ["shop"], excludeTables: [], schedule: "0 3 * * *", timezone: "Europe/Berlin", compression: "zstd", compressionLevel: 3, encryptionKeyId: null, retention: { keepLast: 7, pitrDays: 3 }, verifySchedule: "0 6 * * 0", binlogArchiving: true, staleAfterMinutes: 1500, enabled: true },
      actor,
    });
    const { yaml, fileName } = await exportPolicyYaml(p.id);
    expect(fileName).toBe("shop-nightly.policy.yaml");
    expect(yaml).toContain("host: shop-primary");
    expect(yaml).toContain("target: s3-backups");
    const edited = yaml.replace("keep_last: 7", "keep_last: 14");
    const r = await importPolicyYaml({ text: edited, actor });
    expect(r).toMatchObject({ id: p.id, created: false });
    expect(JSON.parse((await db().policy.findUniqueOrThrow({ where: { id: p.id } })).retention)).toMatchObject({ keepLast: 14, pitrDays: 3 });
  });

  it("a chain policy's backup kind, RTO target and incident threshold survive export and import into another catalog's policy", async () => {
    const p = await createPolicy({
      input: { name: "shop hourly", hostId: "h1", targetId: "t1", engine: "mariabackup", backupKind: "incremental", rtoSeconds: 900, incidentRows: 2500, databases: [], excludeTables: [], schedule: "0 * * * *", timezone: "UTC", compression: "zstd", compressionLevel: 3, encryptionKeyId: null, retention: { keepLast: 48 }, verifySchedule: null, binlogArchiving: false, staleAfterMinutes: null, enabled: true },
      actor,
    });
    const { yaml } = await exportPolicyYaml(p.id);
    expect(yaml).toMatch(/kind: incremental/);
    await db().policy.delete({ where: { id: p.id } });
    const r = await importPolicyYaml({ text: yaml, actor });
    expect(r.created).toBe(true);
    expect(await db().policy.findUniqueOrThrow({ where: { id: r.id } })).toMatchObject({ backupKind: "incremental", rtoSeconds: 900, incidentRows: 2500 });
  });

  it("reports problems with their key path and creates nothing", async () => {
    const before = await db().policy.count();
    const bad = `policy:\n  name: x\n  host: no-such-host\n  target: s3-backups\n  schedule: "every day"\n  retention: { keep_last: 0 }\nbackup:\n  engine: floppy\n`;
    await expect(importPolicyYaml({ text: bad, actor })).rejects.toThrow(/backup\.engine/);
    const bad2 = `policy:\n  name: x\n  host: no-such-host\n  target: s3-backups\n  schedule: "every day"\n  retention: { keep_last: 3 }\n`;
    await expect(importPolicyYaml({ text: bad2, actor })).rejects.toThrow(/policy\.host: no host named "no-such-host".*policy\.schedule/);
    expect(await db().policy.count()).toBe(before);
  });
});
