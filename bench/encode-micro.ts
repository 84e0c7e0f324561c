// Encoder micro-benchmark (profiling aid, not part of `npm run bench`):
//   npx tsx bench/encode-micro.ts capture PORT [ROWS]   row packets of sbtest1 and wide -> /tmp/encode-micro-*.bin
//   npx tsx bench/encode-micro.ts run REPS              InsertWriter.addPacket over them REPS times
// Under `valgrind --tool=callgrind`, the instruction count of `run 3` minus `run 1` is the cost of
// two passes of the encoder alone, the same on a busy machine as on an idle one.
import fs from "node:fs";
import mysql from "mysql2/promise";
import { SegmentDigests, Segmenter } from "../server/engines/logical/fingerprint-state";
import { InsertWriter, insertHeader } from "../server/engines/logical/insert-writer";
import type { ColumnKind, DumpColumn } from "../server/engines/logical/value-encoder";
import { coreOf, replaceRowParser } from "../server/mysql/mysql2-internals";

const SETS: { name: string; kinds: ColumnKind[]; sql: string }[] = [
  { name: "sbtest1", kinds: ["num", "num", "str", "str"], sql: "SELECT id,k,c,pad FROM sbtest.sbtest1" },
  { name: "wide", kinds: ["num", "num", "temporal", "num", "num", "str", "str", "str", "str"], sql: "SELECT id,account_id,created_at,amount,rate,status,attrs,payload,note FROM sbtest.wide" },
];
const file = (name: string) => `/tmp/encode-micro-${name}.bin`;

async function capture(port: number, rows: number) {
  const c = await mysql.createConnection({ host: "127.0.0.1", port, user: "root" });
  await c.query("SET character_set_results = binary");
  for (const s of SETS) {
    const out = fs.createWriteStream(file(s.name));
    await new Promise<void>((res, rej) => {
      const q = coreOf(c).query({ sql: `${s.sql} LIMIT ${rows}`, rowsAsArray: true, typeCast: false });
      replaceRowParser(q, {
        next(p) {
          const len = Buffer.alloc(4);
          len.writeUInt32LE(p.end - p.offset);
          out.write(len);
          out.write(Buffer.from(p.buffer.subarray(p.offset, p.end)));
          return 0;
        },
      });
      q.on("error", rej);
      q.on("end", () => res());
    });
    await new Promise((r) => out.end(r));
  }
  await c.end();
}

function load(name: string): Buffer[] {
  const b = fs.readFileSync(file(name));
  const out: Buffer[] = [];
  for (let p = 0; p < b.length; ) {
    const n = b.readUInt32LE(p);
    out.push(b.subarray(p + 4, p + 4 + n));
    p += 4 + n;
  }
  return out;
}

function runAll(reps: number) {
  for (const s of SETS) {
    const pk = load(s.name);
    const bytes = pk.reduce((n, p) => n + p.length, 0);
    const hdr = insertHeader(s.name, s.kinds.map((kind, i) => ({ name: `c${i}`, kind }) as DumpColumn));
    let best = Infinity;
    let out = 0;
    for (let r = 0; r < reps; r++) {
      const fp = { kind: "pk" as const, digests: new SegmentDigests(), segmenter: new Segmenter(1024n), keyIndex: 0 };
      const w = new InsertWriter(hdr, s.kinds, 1 << 20, fp, (st) => ((out += st.bytes), true), [0]);
      const t = process.cpuUsage();
      for (const p of pk) w.addPacket(p, 0);
      w.flush();
      const u = process.cpuUsage(t);
      best = Math.min(best, (u.user + u.system) / 1000);
    }
    console.log(`${s.name}: ${pk.length} rows, ${(bytes / 1e6).toFixed(1)} MB of packets, ${(out / reps / 1e6).toFixed(1)} MB of SQL, best of ${reps}: ${best.toFixed(0)} ms CPU`);
  }
}

const [mode, a, b] = process.argv.slice(2);
if (mode === "capture") await capture(Number(a), Number(b ?? 1e9));
else runAll(Number(a ?? 5));
