// The dataset: sysbench tables plus a table of wide rows (JSON, BLOB, TEXT, DECIMAL, DATETIME(6))
// holding about a third of the bytes, all in database `sbtest`.
import type { RowDataPacket } from "mysql2";
import { abortSignal, throwIfAborted } from "./cleanup";
import { log, mb } from "./log";
import { run } from "./proc";
import type { Server } from "./servers";

export const DB = "sbtest";
/** Share of the InnoDB bytes in the wide table. */
const WIDE_SHARE = 0.35;
/** Measured on MariaDB 10.11 (data + index per row), to size the sysbench tables before loading. */
const SYSBENCH_ROW_BYTES = 247;
const WIDE_BATCH = 5000;

export type TableSize = { table: string; rows: number; dataBytes: number; indexBytes: number };
export type DatasetInfo = {
  tables: TableSize[];
  sysbenchTables: number;
  sysbenchRowsPerTable: number;
  wideRows: number;
  /** InnoDB data_length + index_length of every table (after ANALYZE TABLE) */
  innodbBytes: number;
  wideShare: number;
  buildMs: number;
};

export function sysbenchArgs(sb: Server, tables: number, rows: number): string[] {
  return ["--db-driver=mysql", "--mysql-host=127.0.0.1", `--mysql-port=${sb.port}`, "--mysql-user=root", "--mysql-password=", `--mysql-db=${DB}`, `--tables=${tables}`, `--table-size=${rows}`];
}

const WIDE_DDL = `CREATE TABLE ${DB}.wide (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id INT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL,
  amount DECIMAL(14,4) NOT NULL,
  rate DECIMAL(9,6) NULL,
  status VARCHAR(16) NOT NULL,
  attrs JSON NOT NULL,
  payload BLOB NOT NULL,
  note TEXT NULL,
  KEY account_created (account_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/** Rows a..b: ~1.9 KB each; the BLOB is half random bytes, half repetitive (compresses like real payloads). */
function wideInsert(a: number, b: number): string {
  return `INSERT INTO ${DB}.wide (account_id, created_at, amount, rate, status, attrs, payload, note)
    SELECT seq % 50000,
      TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 37 SECOND + INTERVAL (seq * 7919) % 1000000 MICROSECOND,
      (seq * 7.3191) % 100000, IF(seq % 10 = 0, NULL, (seq % 997) / 1000),
      ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'returned'),
      JSON_OBJECT('seq', seq, 'customer', CONCAT('customer-', seq % 50000),
        'tags', JSON_ARRAY(ELT(1 + seq % 3, 'red', 'green', 'blue'), CONCAT('t', seq % 17)),
        'address', JSON_OBJECT('street', CONCAT(seq % 300, ' Main Street'), 'city', ELT(1 + seq % 5, 'Berlin', 'Zürich', 'São Paulo', '東京', 'Kraków'), 'zip', LPAD(seq % 99999, 5, '0')),
        'score', (seq % 1000) / 7, 'vip', seq % 11 = 0,
        'lines', JSON_ARRAY(JSON_OBJECT('sku', CONCAT('SKU', seq % 5000), 'qty', 1 + seq % 5, 'price', (seq % 9000) / 100),
                            JSON_OBJECT('sku', CONCAT('SKU', (seq * 3) % 5000), 'qty', 1 + seq % 3, 'price', (seq % 7000) / 100))),
      CONCAT(RANDOM_BYTES(512), REPEAT(MD5(seq), 20), RANDOM_BYTES(128)),
      CONCAT('Bestellung ', seq, ' für Jürgen – 東京 ', REPEAT(CONCAT('lorem ipsum ', seq % 100, ' '), 8))
    FROM ${DB}.seq_${a}_to_${b}`;
}

export async function tableSizes(sb: Server): Promise<TableSize[]> {
  const c = await sb.connect();
  try {
    const [names] = await c.query<RowDataPacket[]>("SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", [DB]);
    await c.query(`ANALYZE TABLE ${names.map((n) => `${DB}.\`${n.t}\``).join(", ")}`);
    const [rows] = await c.query<RowDataPacket[]>("SELECT TABLE_NAME t, DATA_LENGTH d, INDEX_LENGTH i FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", [DB]);
    const out: TableSize[] = [];
    for (const r of rows) {
      const [[cnt]] = await c.query<RowDataPacket[]>(`SELECT COUNT(*) n FROM ${DB}.\`${r.t}\``);
      out.push({ table: String(r.t), rows: Number(cnt!.n), dataBytes: Number(r.d), indexBytes: Number(r.i) });
    }
    return out;
  } finally {
    await c.end();
  }
}

/** sysbench's numeric groups ("83868641912-28773972837-..."), `n` of them. */
function digitGroups(n: number): string {
  return `CONCAT_WS('-', ${Array.from({ length: n }, () => "LPAD(FLOOR(RAND() * 99999999999), 11, '0')").join(", ")})`;
}

/** The tables `sysbench prepare` makes (same DDL and value shapes), for a machine without sysbench. */
async function prepareLikeSysbench(sb: Server, tables: number, rows: number) {
  const c = await sb.connect();
  try {
    for (let t = 1; t <= tables; t++) {
      await c.query(`CREATE TABLE ${DB}.sbtest${t} (id INTEGER NOT NULL AUTO_INCREMENT, k INTEGER DEFAULT '0' NOT NULL, c CHAR(120) DEFAULT '' NOT NULL, pad CHAR(60) DEFAULT '' NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB`);
      for (let a = 1; a <= rows; a += 50_000) {
        throwIfAborted();
        const b = Math.min(rows, a + 49_999);
        await c.query(`INSERT INTO ${DB}.sbtest${t} (id, k, c, pad) SELECT seq, 1 + FLOOR(RAND() * ${rows}), ${digitGroups(10)}, ${digitGroups(5)} FROM ${DB}.seq_${a}_to_${b}`);
      }
      await c.query(`CREATE INDEX k_${t} ON ${DB}.sbtest${t} (k)`);
    }
  } finally {
    await c.end();
  }
}

/** Fills the source with about `targetBytes` of InnoDB data + index. */
export async function buildDataset(sb: Server, targetBytes: number, tables: number, haveSysbench: boolean): Promise<DatasetInfo> {
  const t0 = Date.now();
  const rowsPerTable = Math.max(1000, Math.round(((1 - WIDE_SHARE) * targetBytes) / tables / SYSBENCH_ROW_BYTES));
  await sb.sql(`CREATE DATABASE ${DB}`);
  if (haveSysbench) {
    log(`dataset: sysbench prepare, ${tables} tables x ${rowsPerTable.toLocaleString("en-US")} rows`);
    await run("sysbench", ["oltp_read_write", ...sysbenchArgs(sb, tables, rowsPerTable), `--threads=${Math.min(2, tables)}`, "prepare"], { label: "sysbench prepare" });
  } else {
    log(`dataset: no sysbench; the same tables by SQL, ${tables} tables x ${rowsPerTable.toLocaleString("en-US")} rows`);
    await prepareLikeSysbench(sb, tables, rowsPerTable);
  }
  const sys = await tableSizes(sb);
  const sysBytes = sys.reduce((n, t) => n + t.dataBytes + t.indexBytes, 0);
  const wideTarget = Math.max(targetBytes - sysBytes, targetBytes * 0.3);
  log(`dataset: sysbench tables hold ${mb(sysBytes, 0)} MB; wide table to about ${mb(wideTarget, 0)} MB`);
  await sb.sql(WIDE_DDL);
  const c = await sb.connect();
  let wideRows = 0;
  try {
    let estimate = 2100; // bytes per wide row, refined after the first batches
    let lastLog = 0;
    for (;;) {
      throwIfAborted();
      const need = Math.ceil(wideTarget / estimate);
      if (wideRows >= need) break;
      const n = Math.min(WIDE_BATCH, need - wideRows);
      await c.query(wideInsert(wideRows + 1, wideRows + n));
      wideRows += n;
      if (wideRows === WIDE_BATCH * 4) {
        await c.query(`ANALYZE TABLE ${DB}.wide`);
        const [[r]] = await c.query<RowDataPacket[]>("SELECT DATA_LENGTH + INDEX_LENGTH b FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'wide'", [DB]);
        if (Number(r!.b) > 0) estimate = Number(r!.b) / wideRows;
      }
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`dataset: wide ${wideRows.toLocaleString("en-US")} / ~${need.toLocaleString("en-US")} rows`);
      }
    }
  } finally {
    await c.end();
  }
  if (abortSignal.aborted) throwIfAborted();
  const all = await tableSizes(sb);
  const innodbBytes = all.reduce((n, t) => n + t.dataBytes + t.indexBytes, 0);
  const wide = all.find((t) => t.table === "wide")!;
  return {
    tables: all,
    sysbenchTables: tables,
    sysbenchRowsPerTable: rowsPerTable,
    wideRows,
    innodbBytes,
    wideShare: (wide.dataBytes + wide.indexBytes) / innodbBytes,
    buildMs: Date.now() - t0,
  };
}

/**
 * Reads every row of every table once (CHECKSUM TABLE walks the clustered index), so each timed
 * step starts from the same warm buffer pool and page cache (caches cannot be dropped here).
 */
export async function warmUp(sb: Server): Promise<number> {
  const t0 = Date.now();
  const c = await sb.connect();
  try {
    const [names] = await c.query<RowDataPacket[]>("SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [DB]);
    for (const { t } of names) {
      throwIfAborted();
      await c.query(`CHECKSUM TABLE ${DB}.\`${t}\` EXTENDED`);
    }
  } finally {
    await c.end();
  }
  return Date.now() - t0;
}
