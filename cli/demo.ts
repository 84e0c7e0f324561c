import fs from "node:fs";
import path from "node:path";
import { dataDir } from "../server/env";
import { db } from "../server/db/client";
import { freePort, startSandbox } from "../server/mysql/sandbox";
import { recordAudit } from "../server/audit/record";
import { newId } from "../server/util/ids";
import { SAMPLE_SCHEMA_SQL, sampleDataSql } from "./sample-data";

/**
 * `dbbackup demo`: a sandbox MariaDB (binlog on) with a sample shop schema, registered in the
 * catalog as host "demo" with a local storage target "demo-local". Runs until Ctrl-C.
 */
export async function runDemo(opts: { port?: number; rows?: number }) {
  const dir = path.join(dataDir(), "demo-mariadb");
  const fresh = !fs.existsSync(path.join(dir, "data"));
  const port = opts.port ?? (await preferPort(3307));
  console.log(`Starting a sandbox MariaDB in ${dir} on 127.0.0.1:${port} ...`);
  const sb = await startSandbox({ dir, port, serverId: 1, removeOnStop: false, datadir: fresh ? undefined : path.join(dir, "data") });
  if (fresh) {
    console.log("Loading the sample schema (database shop) ...");
    await sb.sql(SAMPLE_SCHEMA_SQL);
    await sb.sql(sampleDataSql(opts.rows ?? 5000));
  }
  const catalog = db();
  const backupsDir = path.join(dataDir(), "backups");
  const host = await catalog.host.upsert({
    where: { name: "demo" },
    update: { host: "127.0.0.1", port, user: "root", passwordEnc: null, tlsMode: "disabled" },
    create: { id: newId("h"), name: "demo", host: "127.0.0.1", port, user: "root", tlsMode: "disabled", environment: "development", labels: JSON.stringify(["sandbox"]), datadir: sb.datadir },
  });
  const target = await catalog.storageTarget.upsert({
    where: { name: "demo-local" },
    update: {},
    create: { id: newId("s"), name: "demo-local", kind: "local", path: backupsDir },
  });
  await recordAudit({ system: "demo" }, "demo.start", { type: "host", id: host.id }, { port, target: target.name });
  console.log(`
Sandbox MariaDB ready: 127.0.0.1:${port} (user root, no password), database "shop".
Registered in the catalog (${dataDir()}):
  host            demo          -> 127.0.0.1:${port}
  storage target  demo-local    -> ${backupsDir}
Open the dashboard (npm run serve) and look at Hosts > demo.
Connect yourself:  mariadb -h127.0.0.1 -P${port} -uroot shop
Press Ctrl-C to stop the sandbox (its data stays in ${dir}; delete that directory to start over).`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  console.log("\nStopping the sandbox ...");
  await sb.stop();
}

async function preferPort(p: number): Promise<number> {
  const net = await import("node:net");
  const free = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(p, "127.0.0.1", () => s.close(() => resolve(true)));
  });
  return free ? p : freePort();
}
