import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";

// Throwaway servers (verification, restore checks, the tests themselves) run on machines where
// other MariaDB servers may run with tmpdir=/tmp, Debian's default. At start-up mariadbd deletes
// every "#sql*" file in its tmpdir as crash leftovers; in /tmp those are the live internal
// temporary tables of the neighbours, whose queries then fail ("Error on delete of
// '/tmp/#sql-temptable-...MAI'") or crash the server (seen in CI before the fix).
const started: Sandbox[] = [];
const probes: string[] = [];
afterAll(async () => {
  for (const sb of started) await sb.stop();
  for (const p of probes) fs.rmSync(p, { force: true });
});

describe("throwaway servers", () => {
  it("keep their temporary files in their own directory and leave other servers' in /tmp alone", async () => {
    const tag = crypto.randomBytes(4).toString("hex");
    // what a neighbour server's on-disk internal temporary table looks like
    for (const ext of ["MAI", "MAD"]) probes.push(path.join(os.tmpdir(), `#sql-temptable-${tag}-1-0.${ext}`));
    for (const p of probes) fs.writeFileSync(p, "a neighbour's temporary table");

    const sb = await startSandbox();
    started.push(sb);

    for (const p of probes) expect(fs.existsSync(p), `${p} must survive a sandbox start`).toBe(true);
    const [{ t }] = (await sb.sql<{ t: string }>("SELECT @@tmpdir AS t")) as [{ t: string }];
    expect(path.resolve(t)).toBe(path.resolve(sb.tmpdir));
    expect(path.resolve(t).startsWith(path.resolve(sb.datadir, "..") + path.sep)).toBe(true);
    // an on-disk internal temporary table lands there and works
    const c = await sb.connect();
    try {
      await c.query("SET SESSION max_heap_table_size = 16384, tmp_table_size = 16384");
      const [rows] = await c.query("SELECT COUNT(*) AS n FROM (SELECT seq % 5000 AS k, REPEAT('x', 500) AS v FROM mysql.seq_1_to_20000 GROUP BY k, v) g");
      expect(Number((rows as { n: string }[])[0]!.n)).toBe(5000);
      const [st] = await c.query("SHOW SESSION STATUS LIKE 'Created_tmp_disk_tables'");
      expect(Number((st as { Value: string }[])[0]!.Value)).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  });
});
