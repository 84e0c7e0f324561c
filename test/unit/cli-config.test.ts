// The seed's YAML configuration: the full example parses into what the engines and the archiver
// read; every wrong key or value is reported with its key path (and line); policies round-trip.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfigText, engineOptionsFromConfig, parseConfigText, policyToYaml, yamlToPolicyInput } from "../../server/config-file";
import { parseCloneOptions } from "../../server/engines/clone/clone-options";
import { parseSnapshotOptions } from "../../server/engines/snapshot/snapshot-options";
import type { PolicyInput } from "../../server/policies/schemas";

const SEED = fs.readFileSync(path.join(import.meta.dirname, "../fixtures/cli/seed-config.yaml"), "utf8");

function errorOf(text: string, file = "config.yaml"): string {
  try {
    parseConfigText(text, file);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("seed configuration", () => {
  it("parses the seed document's complete example with every section", () => {
    const c = parseConfigText(SEED);
    expect(c.backup?.engine).toBe("auto");
    expect(c.backup?.clone).toEqual({ data_dir: "/var/lib/mysql", remote: { enabled: false, donor_host: "", donor_port: 3306, donor_user: "clone_user" } });
    expect(c.backup?.snapshot).toEqual({ backend: "auto", lvm: { volume_group: "vg_mysql", snapshot_size: "10G" }, zfs: { dataset: "tank/mysql" }, btrfs: { subvolume: "/data/mysql" } });
    expect(c.backup?.streaming).toEqual({ part_size: 10485760, workers: 4, checksum: true });
    expect(c.backup?.binlog).toEqual({
      enabled: false,
      server_id: 99999,
      use_gtid: true,
      checkpoint_interval: 30_000,
      targets: [
        { type: "file", path: "/backups/binlog/", compress: true, rotate_size: 1073741824 },
        { type: "s3", bucket: "my-backups", prefix: "binlog/", region: "us-east-1" },
      ],
    });
    expect(c.connection).toMatchObject({ host: "127.0.0.1", port: 3306, user: "backup", password_file: "/etc/dbbackup/password" });
    expect(c.output).toBe("s3://my-backups/nightly/");
  });

  it("hands the snapshot and clone blocks to the engines in the form they read", () => {
    const opts = engineOptionsFromConfig(parseConfigText(SEED).backup);
    const snap = parseSnapshotOptions(opts);
    expect(snap.backend).toBe("auto");
    expect(snap.lvm).toEqual({ volumeGroup: "vg_mysql", logicalVolume: undefined, snapshotSize: "10G" });
    expect(snap.zfs.dataset).toBe("tank/mysql");
    expect(snap.btrfs.subvolume).toBe("/data/mysql");
    const clone = parseCloneOptions(opts);
    expect(clone.datadir).toBe("/var/lib/mysql");
    expect(clone.remote).toBeNull();
  });

  it("accepts sizes and durations as people write them", () => {
    const c = parseConfigText("backup:\n  streaming:\n    part_size: 20M\n  binlog:\n    checkpoint_interval: 250ms\n    targets:\n      - type: file\n        path: /b\n        rotate_size: 1G\n");
    expect(c.backup?.streaming?.part_size).toBe(20 * 2 ** 20);
    expect(c.backup?.binlog?.checkpoint_interval).toBe(250);
    expect(c.backup?.binlog?.targets?.[0]).toMatchObject({ rotate_size: 2 ** 30 });
  });

  it("names the key path of a bad value, with the line", () => {
    expect(errorOf(SEED.replace('"10G"', '"10X"'))).toBe('config.yaml: backup.snapshot.lvm.snapshot_size: "10X" is not a size like 10G (line 33)');
    expect(errorOf(SEED.replace("workers: 4", "workers: many"))).toMatch(/^config\.yaml: backup\.streaming\.workers: "many" should be a whole number from 1 to 64 \(line \d+\)$/);
    expect(errorOf(SEED.replace("server_id: 99999", "server_id: 0"))).toMatch(/backup\.binlog\.server_id: 0 should be a server id from 1 to 4294967295/);
    expect(errorOf(SEED.replace("checkpoint_interval: 30s", "checkpoint_interval: soon"))).toMatch(/backup\.binlog\.checkpoint_interval: "soon" is not a duration like 30s/);
    expect(errorOf(SEED.replace("part_size: 10485760", "part_size: 1M"))).toMatch(/backup\.streaming\.part_size: "1M" is too small/);
    expect(errorOf(SEED.replace("backend: auto", "backend: xfs"))).toMatch(/backup\.snapshot\.backend: "xfs" is not one of auto, lvm, zfs, btrfs/);
    expect(errorOf(SEED.replace("type: s3", "type: ftp"))).toMatch(/backup\.binlog\.targets\[1\]\.type: "ftp" is not a binlog target type \(file or s3\)/);
    expect(errorOf(SEED.replace("        path: /backups/binlog/\n", ""))).toMatch(/backup\.binlog\.targets\[0\]\.path: is required/);
    expect(errorOf(SEED.replace("checksum: true", "checksum: false"))).toMatch(/backup\.streaming\.checksum: false is not supported/);
  });

  it("names unknown keys with their path and suggests the right one", () => {
    expect(errorOf(SEED.replace("    workers: 4\n", "    wokers: 4\n"))).toMatch(/^config\.yaml: backup\.streaming\.wokers: unknown key \(did you mean workers\?\) \(line \d+\)$/);
    expect(errorOf(SEED.replace("      dataset: tank/mysql", "      dataset: tank/mysql\n      pool: tank"))).toMatch(/backup\.snapshot\.zfs\.pool: unknown key \(known keys: dataset\)/);
    expect(errorOf("backups:\n  engine: auto\n")).toMatch(/^config\.yaml: backups: unknown key \(did you mean backup\?\) \(line 1\)/);
    // the seed's example is easy to flatten: a top-level section says where it belongs
    expect(errorOf("snapshot:\n  backend: zfs\n")).toBe("config.yaml: snapshot: belongs under backup: (write it as backup.snapshot) (line 1)");
  });

  it("reports several problems at once, in file order, and YAML syntax errors with their line", () => {
    const msg = errorOf("connection:\n  port: 99999\nbackup:\n  engine: fastest\n  level: 30\n", "/etc/dbbackup.yaml");
    expect(msg.split("; ")).toEqual([
      "/etc/dbbackup.yaml: connection.port: 99999 should be a port from 1 to 65535 (line 2)",
      '/etc/dbbackup.yaml: backup.engine: "fastest" is not one of auto, mysqldump, logical, clone, snapshot, mariabackup, xtrabackup (line 4)',
      "/etc/dbbackup.yaml: backup.level: 30 should be a compression level from 1 to 19 (line 5)",
    ]);
    const r = checkConfigText("backup:\n  engine: [auto\n");
    expect(r.issues[0]!.message).toMatch(/^not valid YAML/);
    expect(r.issues[0]!.line).toBeGreaterThan(0);
  });
});

describe("policies in the seed's YAML", () => {
  const policy: PolicyInput = {
    name: "nightly shop",
    hostId: "h123",
    targetId: "s456",
    engine: "mariabackup",
    databases: ["shop", "crm"],
    excludeTables: ["shop.audit_trail"],
    schedule: "30 2 * * *",
    timezone: "Europe/Berlin",
    compression: "zstd",
    compressionLevel: 6,
    encryptionKeyId: "k789",
    retention: { keepLast: 7, gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 1 }, pitrDays: 14 },
    verifySchedule: "0 5 * * 0",
    binlogArchiving: true,
    staleAfterMinutes: 1500,
    enabled: false,
  };

  it("round-trips a policy through YAML, by id and by name", () => {
    expect(yamlToPolicyInput(policyToYaml(policy))).toEqual(policy);
    const text = policyToYaml(policy, { host: "db1", target: "s3-main", encryptionKey: "nightly-key" });
    expect(text).toContain("host: db1");
    expect(text).toContain("target: s3-main");
    expect(text).toContain("encryption_key: nightly-key");
    const back = yamlToPolicyInput(text, { hosts: { db1: "h123" }, targets: { "s3-main": "s456" }, encryptionKeys: { "nightly-key": "k789" } });
    expect(back).toEqual(policy);
  });

  it("carries a chain policy's backup kind, RTO target and incident threshold", () => {
    const chained: PolicyInput = { ...policy, backupKind: "incremental", rtoSeconds: 1800, incidentRows: 5000 };
    const text = policyToYaml(chained);
    const c = parseConfigText(text);
    expect(c.backup?.kind).toBe("incremental");
    expect(c.policy).toMatchObject({ rto_seconds: 1800, incident_rows: 5000 });
    expect(yamlToPolicyInput(text)).toEqual(chained);
    expect(() => yamlToPolicyInput(text.replace("kind: incremental", "kind: weekly"))).toThrow(/backup\.kind/);
  });

  it("writes the seed's structure: policy fields under policy, backup fields under backup", () => {
    const text = policyToYaml({ ...policy, encryptionKeyId: null, verifySchedule: null, staleAfterMinutes: null });
    const c = parseConfigText(text);
    expect(c.policy).toMatchObject({ name: "nightly shop", schedule: "30 2 * * *", retention: { keep_last: 7, pitr_days: 14 } });
    expect(c.backup).toMatchObject({ engine: "mariabackup", level: 6, binlog: { enabled: true } });
    expect(c.backup?.encryption_key).toBeUndefined();
  });

  it("reports policy problems with their key paths", () => {
    const good = policyToYaml(policy);
    const err = (t: string, o = {}) => {
      try {
        yamlToPolicyInput(t, o);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("expected an error");
    };
    expect(err(good.replace("schedule: 30 2 * * *", "schedule: every night"))).toMatch(/^policy\.yaml: policy\.schedule: Not a valid cron expression/);
    expect(err(good.replace("timezone: Europe/Berlin", "timezone: Mars/Olympus"))).toMatch(/policy\.timezone: Unknown time zone "Mars\/Olympus"/);
    expect(err(good.replace("keep_last: 7", "keep_last: 0"))).toMatch(/policy\.retention\.keep_last: 0 should be a whole number from 1 to 10000/);
    expect(err(policyToYaml({ ...policy, retention: { pitrDays: 3 } }))).toMatch(/policy\.retention: Say what to keep/);
    expect(err(good, { hosts: { db2: "h999" } })).toMatch(/policy\.host: no host named "h123" \(known: db2\)/);
    expect(err("backup:\n  engine: auto\n")).toMatch(/policy: is required/);
    expect(err(good.replace("  enabled: false", "  enabled: false\n  owner: ops"))).toMatch(/policy\.owner: unknown key/);
  });
});
