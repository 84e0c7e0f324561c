import { z } from "zod";
import { recordAudit, type Actor } from "../audit/record";
import type { Role } from "../auth/roles";
import { hasRole } from "../auth/roles";
import { readEvents } from "../binlog/read-events";
import type { FormatDescription } from "../binlog/decode-format-description";
import { postHeaderLength } from "../binlog/decode-format-description";
import { eventCrc32 } from "../binlog/checksum";
import { CHECKSUM_LENGTH, EventType, HEADER_LENGTH, ROWS_EVENT_TYPES } from "../binlog/event-types";
import { db } from "../db/client";
import { DomainError, invalid, notFound } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { connectServer, queryRows } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import { fdeForReplay } from "../pitr/replay/event-bytes";
import type { RunKind } from "../runner/run-kinds";
import { enqueueRun } from "../runner/enqueue-run";
import { openTargetStore } from "../storage/open-store";
import type { ObjectStore } from "../storage/object-store";
import type { WorkContext } from "../work-context";
import { segmentMetaOf } from "./catalog-index";
import { invertRowsEvent, invertible } from "./invert-rows";
import { contiguousRuns } from "./read-archive";
import { parseTableMap, rowsLayout, type TableShape } from "./row-images";
import type { SegmentMeta } from "../binlog/archiver-types";
import { openObjectReader } from "../artifact/object-io";
import fs from "node:fs";
import path from "node:path";
import { archiveWorkDir } from "../archive-runs/archive-run";
import { readState } from "../binlog/archive-state";

const MAX_UNDO_BYTES = 256 * 1024 * 1024;
const SAMPLE = 5;

export const dmlUndoInput = z.object({
  hostId: z.string().min(1),
  table: z.string().trim().regex(/^[^.`]+\.[^.`]+$/, "Give the table as database.table, e.g. shop.orders."),
  since: z.string().trim().refine((s) => !Number.isNaN(new Date(s).getTime()), "Not a time: use ISO 8601."),
  until: z.string().trim().refine((s) => !Number.isNaN(new Date(s).getTime()), "Not a time: use ISO 8601."),
  /** preview: counts and a sample, nothing applied; apply: the inverse row events in one transaction */
  mode: z.enum(["preview", "apply"]).default("preview"),
  /** applying on a production host: the host's name, typed */
  confirm: z.string().optional(),
});
export type DmlUndoParams = z.infer<typeof dmlUndoInput>;

export type UndoPlan = {
  table: string;
  since: string;
  until: string;
  transactions: number;
  /** rows the range wrote (deleted by the undo), deleted (written back), updated (set back) */
  rows: { inserted: number; updated: number; deleted: number };
  sample: { gtid: string | null; at: string; statement: string | null; rows: number }[];
  /** transactions of the range that changed other tables too: those changes stay */
  sharedTransactions: number;
  firstGtid: string | null;
  lastGtid: string | null;
  bytes: number;
};

type Step = { map: Buffer; rows: Buffer };
type Collected = UndoPlan & { fde: Buffer; steps: Step[]; crc: boolean };

/**
 * An event stamped with another time. The server logs what a BINLOG statement applies with the
 * events' own timestamps; the undo happens now, so its transaction must say now in the binlog
 * (or a later search, undo or restore by time would place it inside the range it undid).
 */
function restamp(raw: Buffer, ts: number, crc: boolean): Buffer {
  const out = Buffer.from(raw);
  out.writeUInt32LE(ts, 0);
  if (crc) out.writeUInt32LE(eventCrc32(out.subarray(0, out.length - CHECKSUM_LENGTH)), out.length - CHECKSUM_LENGTH);
  return out;
}

type Seg = SegmentMeta & { localPath?: string };

async function* bytesOf(store: ObjectStore, segs: Seg[]): AsyncGenerator<Buffer> {
  for (const s of segs) {
    // the running archiver's segments not shipped yet: up to its durable checkpoint only
    const src = s.localPath ? fs.createReadStream(s.localPath, { start: 0, end: s.endPosition - s.byteOffset - 1 }) : await openObjectReader(store, { path: s.key, size: s.storedSize, sha256: s.storedSha256 || undefined }, { compression: s.compression, key: null });
    for await (const c of src) yield c as Buffer;
  }
}

/** Segments the running archiver holds durably but has not shipped (so a change made minutes ago is seen). */
async function localTail(hostId: string, shipped: SegmentMeta[]): Promise<Seg[]> {
  const dir = archiveWorkDir(hostId);
  const st = await readState(dir).catch(() => null);
  const have = new Set(shipped.map((m) => `${m.file}@${m.startPosition}`));
  return [...(st?.pending ?? []), ...(st?.current ? [st.current] : [])]
    .filter((l) => l.endPosition > l.startPosition && !have.has(`${l.file}@${l.startPosition}`))
    .map((l) => ({ ...segmentMetaOf({ fileName: l.file, startPos: BigInt(l.startPosition), endPos: BigInt(l.endPosition), location: l.localName, sizeBytes: BigInt(l.endPosition - l.byteOffset), storedBytes: 0n, sha256: "", storedSha256: null, compressed: false, byteOffset: BigInt(l.byteOffset) }), localPath: path.join(dir, l.localName) }));
}

/**
 * Reads the host's archive and keeps, for the transactions committed within [since, until] (whole
 * seconds, as the binlog has them), the table's row events inverted. Refuses when the range has
 * events that cannot be undone exactly: statement-based changes of the table, a row image that is
 * not FULL, compressed row events, or changes of the table after the range (an undo would overwrite them).
 */
async function collect(ctx: WorkContext, hostId: string, table: string, since: Date, until: Date): Promise<Collected> {
  const [dbName, tName] = table.split(".") as [string, string];
  const s0 = Math.floor(since.getTime() / 1000);
  const s1 = Math.floor(until.getTime() / 1000);
  const rows = await db().binlogSegment.findMany({ where: { hostId }, orderBy: [{ fileName: "asc" }, { startPos: "asc" }] });
  if (!rows.length) throw new DomainError("PRECONDITION", "This host has no archived binlogs: nothing to undo from.");
  const stores = new Map<string, ObjectStore>();
  const byTarget = new Map<string, Seg[]>();
  for (const r of rows) {
    if (!stores.has(r.targetId)) stores.set(r.targetId, (await openTargetStore(r.targetId)).store);
    byTarget.set(r.targetId, [...(byTarget.get(r.targetId) ?? []), segmentMetaOf(r)]);
  }
  // the unshipped tail continues the newest target's segments
  const newest = rows[rows.length - 1]!.targetId;
  byTarget.set(newest, [...byTarget.get(newest)!, ...(await localTail(hostId, [...byTarget.values()].flat()))]);
  const out: Collected = { table, since: since.toISOString(), until: until.toISOString(), transactions: 0, rows: { inserted: 0, updated: 0, deleted: 0 }, sample: [], sharedTransactions: 0, firstGtid: null, lastGtid: null, bytes: 0, fde: Buffer.alloc(0), steps: [], crc: false };
  let fde: FormatDescription | null = null;
  let fdeRaw: Buffer | null = null;
  let lastFdeRaw: Buffer | null = null;
  let bytesRead = 0;
  const total = rows.reduce((n, r) => n + Number(r.sizeBytes), 0);
  for (const [targetId, metas] of byTarget) {
    const store = stores.get(targetId)!;
    for (const run of contiguousRuns(metas) as Seg[][]) {
      const maps = new Map<number, { raw: Buffer; shape: TableShape }>();
      let pending: Step[] = [];
      let pendingRows = { inserted: 0, updated: 0, deleted: 0 };
      let other = false;
      let gtid: string | null = null;
      let annotate: string | null = null;
      let crc = false;
      const reset = () => {
        maps.clear();
        pending = [];
        pendingRows = { inserted: 0, updated: 0, deleted: 0 };
        other = false;
        annotate = null;
      };
      const commit = (ts: number) => {
        const n = pendingRows.inserted + pendingRows.updated + pendingRows.deleted;
        if (pending.length && ts > s1) {
          throw new DomainError("PRECONDITION", `${table} was changed again after the range, at ${new Date(ts * 1000).toISOString()}${gtid ? ` (GTID ${gtid})` : ""}: undoing the range would overwrite that change. Undo up to then instead, or restore the table to a point (table-level restore) and compare.`);
        }
        if (pending.length && ts >= s0) {
          out.steps.push(...pending);
          out.transactions++;
          out.rows.inserted += pendingRows.inserted;
          out.rows.updated += pendingRows.updated;
          out.rows.deleted += pendingRows.deleted;
          if (other) out.sharedTransactions++;
          out.firstGtid ??= gtid;
          out.lastGtid = gtid;
          if (out.sample.length < SAMPLE) out.sample.push({ gtid, at: new Date(ts * 1000).toISOString(), statement: annotate, rows: n });
          out.bytes += pending.reduce((b, p) => b + p.map.length + p.rows.length, 0);
          fdeRaw ??= lastFdeRaw;
          out.crc = crc;
          if (out.bytes > MAX_UNDO_BYTES) throw new DomainError("PRECONDITION", `The range changes more than ${MAX_UNDO_BYTES / 1048576} MiB of ${table}'s rows: too much for one undo transaction. Undo a shorter range, or restore the table to a point instead.`);
        }
        reset();
      };
      for await (const ev of readEvents(bytesOf(store, run), { fileName: run[0]!.file })) {
        if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error("cancelled");
        bytesRead += ev.raw.length;
        if ((bytesRead & 0xfffff) < ev.raw.length) ctx.progress({ phase: "reading the archive", bytesDone: bytesRead, bytesTotal: total });
        const t = ev.header.type;
        const d = ev.details;
        if (t === EventType.FORMAT_DESCRIPTION && d?.kind === "format_description") {
          fde = d;
          lastFdeRaw = fdeForReplay(ev.raw);
          crc = d.checksum === "crc32";
          continue;
        }
        const bodyEnd = ev.raw.length - (crc ? CHECKSUM_LENGTH : 0);
        if (t === EventType.MARIADB_GTID && d?.kind === "mariadb_gtid") {
          reset();
          gtid = `${d.domain}-${d.server}-${d.seq}`;
          continue;
        }
        if ((t === EventType.MYSQL_GTID || t === EventType.MYSQL_ANONYMOUS_GTID) && d?.kind === "mysql_gtid") {
          reset();
          gtid = d.anonymous ? null : d.gtid;
          continue;
        }
        if (t === EventType.ANNOTATE_ROWS && d?.kind === "annotate_rows") {
          annotate ??= d.sql.slice(0, 500);
          continue;
        }
        if (t === EventType.QUERY && d?.kind === "query") {
          const sql = d.sql.trim();
          if (/^BEGIN$/i.test(sql)) continue;
          if (/^COMMIT$/i.test(sql)) {
            commit(ev.header.timestamp);
            continue;
          }
          if (/^ROLLBACK$/i.test(sql)) {
            reset();
            continue;
          }
          const ts = ev.header.timestamp;
          const mentions = new RegExp(`\\b${tName}\\b`, "i").test(sql) && (d.database === dbName || sql.includes(dbName));
          if (mentions && ts > s1) {
            throw new DomainError("PRECONDITION", `${table} was changed after the range by a statement logged as text at ${new Date(ts * 1000).toISOString()}${gtid ? ` (GTID ${gtid})` : ""} (${sql.slice(0, 120)}): undoing the range's rows would not give back the table as it was. Restore the table to a point instead.`);
          }
          if (mentions && ts >= s0 && ts <= s1) {
            throw new DomainError("PRECONDITION", `${table} was changed by a statement logged as text at ${new Date(ts * 1000).toISOString()}${gtid ? ` (GTID ${gtid})` : ""} (${sql.slice(0, 120)}): its rows are not in the binlog, so it cannot be inverted. Undo works on row events (binlog_format=ROW, binlog_row_image=FULL); restore the table to a point instead.`);
          }
          continue;
        }
        if (t === EventType.TABLE_MAP) {
          const m = parseTableMap(ev.raw, bodyEnd, HEADER_LENGTH, postHeaderLength(fde, t, 8));
          maps.set(m.tableId, { raw: ev.raw, shape: m });
          continue;
        }
        if (ROWS_EVENT_TYPES.has(t) && d?.kind === "rows") {
          const m = maps.get(d.tableId);
          if (!m) continue;
          if (m.shape.database !== dbName || m.shape.table !== tName) {
            other = true;
            continue;
          }
          if (d.compressed || !invertible(t)) throw new DomainError("PRECONDITION", `${ev.file}:${ev.position}: ${table}'s rows are in a ${ev.typeName} event, which undo cannot invert (log_bin_compress or partial JSON updates). Restore the table to a point instead.`);
          const ph = postHeaderLength(fde, t, d.version === 2 ? 10 : 8);
          const layout = rowsLayout(ev.raw, bodyEnd, HEADER_LENGTH, ph, t, m.shape);
          if (!layout.fullImage) throw new DomainError("PRECONDITION", `${ev.file}:${ev.position}: the row images of ${table} do not hold every column (binlog_row_image is not FULL), so the old rows cannot be rebuilt. Set binlog_row_image=FULL on the server for future undos; restore the table to a point for this one.`);
          pending.push({ map: m.raw, rows: invertRowsEvent(ev.raw, layout, crc, ph) });
          const n = layout.rows.length;
          if (d.operation === "write") pendingRows.inserted += n;
          else if (d.operation === "update") pendingRows.updated += n;
          else pendingRows.deleted += n;
          continue;
        }
        if (t === EventType.XID) commit(ev.header.timestamp);
      }
    }
  }
  if (!out.transactions) throw new DomainError("NOT_FOUND", `No transaction committed between ${out.since} and ${out.until} changed ${table} in the archived binlogs.`);
  if (!fdeRaw) throw new DomainError("PRECONDITION", "The archive holds no format description event for these binlogs (it starts mid-file), so the inverse row events cannot be sent.");
  out.fde = fdeRaw;
  return out;
}

/** What makes an undo of the table's rows inexact on the live server: triggers, cascading foreign keys. */
async function refusals(address: ServerAddress, table: string): Promise<string[]> {
  const [dbName, tName] = table.split(".") as [string, string];
  const c = await connectServer(address);
  try {
    const exists = await queryRows<{ n: number }>(c, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [dbName, tName]);
    if (!Number(exists[0]?.n)) return [`${table} does not exist on the server (dropped or renamed?): restore it to a point instead of undoing its rows`];
    const out: string[] = [];
    const trg = await queryRows<{ n: string; e: string }>(c, "SELECT TRIGGER_NAME AS n, EVENT_MANIPULATION AS e FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?", [dbName, tName]);
    if (trg.length) out.push(`${table} has triggers (${trg.map((t) => `${t.n} on ${t.e}`).join(", ")}): what they changed elsewhere would stay, and row events applied back do not fire them`);
    const fk = await queryRows<{ c: string; t: string; d: string; u: string }>(
      c,
      "SELECT CONSTRAINT_NAME AS c, TABLE_NAME AS t, DELETE_RULE AS d, UPDATE_RULE AS u FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ? AND (DELETE_RULE IN ('CASCADE','SET NULL','SET DEFAULT') OR UPDATE_RULE IN ('CASCADE','SET NULL','SET DEFAULT'))",
      [dbName, tName],
    );
    if (fk.length) out.push(`foreign keys cascade from ${table} (${fk.map((f) => `${f.t}.${f.c}: ON DELETE ${f.d}, ON UPDATE ${f.u}`).join("; ")}): the rows the server changed by cascade are not in the binlog, so they cannot be put back`);
    return out;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function binlogStatement(events: Buffer[]): string {
  return `BINLOG '${Buffer.concat(events).toString("base64")}'`;
}

/** Applies the inverse events, newest first, in one transaction; nothing is left half-applied. */
async function apply(ctx: WorkContext, address: ServerAddress, c: Collected) {
  const conn = await connectServer(address);
  try {
    const [mp] = await queryRows<{ m: number }>(conn, "SELECT @@max_allowed_packet AS m");
    const max = Number(mp?.m ?? 16 << 20) - 1024;
    await conn.query("BEGIN");
    try {
      await conn.query(binlogStatement([c.fde]));
      let done = 0;
      for (let i = c.steps.length - 1; i >= 0; i--) {
        if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error("cancelled");
        const s = c.steps[i]!;
        const now = Math.floor(Date.now() / 1000);
        const sql = binlogStatement([restamp(s.map, now, c.crc), restamp(s.rows, now, c.crc)]);
        if (sql.length > max) throw new DomainError("PRECONDITION", `An inverse row event of ${c.table} (${Math.round(sql.length / 1048576)} MiB) does not fit in the server's max_allowed_packet: raise it (SET GLOBAL max_allowed_packet = ${Math.ceil((sql.length * 1.1) / 1048576)} * 1048576) and retry.`);
        try {
          await conn.query(sql);
        } catch (e) {
          throw new DomainError("PRECONDITION", `Undoing ${c.table} failed on the server (${(e as Error).message}); the undo was rolled back and nothing changed. A row the range changed is no longer as the range left it (changed by a statement not in the binlog, or by a cascade): restore the table to a point instead.`);
        }
        done++;
        ctx.progress({ phase: "applying the undo", rowsDone: done, rowsTotal: c.steps.length });
      }
      await conn.query("COMMIT");
    } catch (e) {
      await conn.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  } finally {
    await conn.end().catch(() => undefined);
  }
}

function plan(c: Collected): UndoPlan {
  const { fde: _f, steps: _s, ...p } = c;
  return p;
}

/**
 * The "dml-undo" run: the inverse of a time range of one table's row changes. "preview" reads the
 * archive and the server's triggers and foreign keys and says what an undo would do (or why it is
 * refused); "apply" does the same, then applies the inverse row events in one transaction.
 */
export const dmlUndoRunKind: RunKind<DmlUndoParams> = {
  kind: "dml-undo",
  async execute(ctx) {
    const p = ctx.params;
    const host = await db().host.findUnique({ where: { id: p.hostId } });
    if (!host) throw new DomainError("NOT_FOUND", "The host of this undo was deleted.");
    ctx.progress({ phase: "checking the table" });
    const address = hostAddress(host);
    const refused = await refusals(address, p.table);
    if (refused.length) throw new DomainError("PRECONDITION", `The undo of ${p.table} is refused: ${refused.join("; ")}. Nothing was changed.`);
    const c = await collect(ctx, host.id, p.table, new Date(p.since), new Date(p.until));
    const pl = plan(c);
    ctx.log("info", `Undo of ${p.table} from ${pl.since} to ${pl.until}: ${pl.transactions} transaction(s); delete ${pl.rows.inserted} inserted row(s), write back ${pl.rows.deleted} deleted, set back ${pl.rows.updated} updated${pl.sharedTransactions ? `; ${pl.sharedTransactions} of those transactions changed other tables too, and those changes stay` : ""}.`);
    if (p.mode === "preview") return { mode: "preview", plan: pl };
    await apply(ctx, address, c);
    ctx.log("info", `Undo of ${p.table} applied in one transaction on ${host.name}.`);
    return { mode: "apply", plan: pl };
  },
};

/**
 * Queues a preview or an undo. Applying needs an operator, and on a production host an admin who
 * typed the host's name.
 */
export async function startDmlUndo(opts: { input: z.input<typeof dmlUndoInput>; actor: Actor & { role?: Role } }) {
  const v = dmlUndoInput.parse(opts.input);
  const host = await db().host.findUnique({ where: { id: v.hostId } });
  if (!host) throw notFound("Host", v.hostId);
  if (new Date(v.since).getTime() > new Date(v.until).getTime()) throw invalid("until", "The range ends before it starts.");
  if (v.mode === "apply" && host.environment === "production") {
    if (!hasRole(opts.actor.role ?? "viewer", "admin")) throw new DomainError("FORBIDDEN", `Undoing rows on ${host.name} (production) needs an admin.`);
    if (v.confirm !== host.name) throw invalid("confirm", `Type the host's name (${host.name}) to undo rows on a production host.`);
  }
  const run = await enqueueRun({ kind: "dml-undo", hostId: host.id, params: v, createdById: "id" in opts.actor ? opts.actor.id : null, maxAttempts: 1 });
  await recordAudit(opts.actor, v.mode === "apply" ? "incidents.undo" : "incidents.undo-preview", { type: "run", id: run.id }, { host: host.name, table: v.table, since: v.since, until: v.until });
  return run;
}
