import type mysql from "mysql2/promise";
import type { BackupSetReader } from "../../artifact/backup-set-reader";
import type { ManifestObject } from "../../artifact/manifest";
import { DomainError, errorMessage } from "../../errors";
import { describeAddress, type ServerAddress } from "../../mysql/connection-options";
import { isConnectionLost, isTransientLockError, serverMessage, deniedPrivilege } from "../../engines/logical/errors";
import { readFrames, type FramedStatement } from "../../engines/logical/framing";
import { readChunks } from "../../engines/logical/streams";
import { execBytes, execInsert } from "./load-session";

/** Session context the statements of an object set (for rewriting them correctly). */
export type StatementState = { sqlMode: string; charset: string };

export type ApplyHooks = {
  /** the bytes to run for a statement, or null to skip it */
  transform?(f: FramedStatement, state: StatementState): Buffer | null | Promise<Buffer | null>;
  onStatement?(f: FramedStatement): void;
};

function trackState(f: FramedStatement, s: StatementState) {
  if (f.meta.k !== "set") return;
  const text = f.sql.toString("latin1");
  const mode = /sql_mode = '([^']*)'/i.exec(text);
  if (mode) s.sqlMode = mode[1]!;
  const names = /^SET NAMES (\w+)/i.exec(text);
  if (names) s.charset = names[1]!;
  const cs = /character_set_client = (\w+)/i.exec(text);
  if (cs) s.charset = cs[1]!;
}

function objectLabel(o: ManifestObject) {
  return o.table ? `${o.path} (\`${o.database}\`.\`${o.table}\`, chunk ${o.chunk ?? 0})` : o.database ? `${o.path} (\`${o.database}\`)` : o.path;
}

/** A read failure of an object, said as corruption of that object. */
function readError(e: unknown, reader: BackupSetReader, o: ManifestObject): DomainError {
  const where = reader.describe(o);
  if (e instanceof DomainError && e.message.includes(where)) return e;
  return new DomainError("INVALID", `${where} cannot be read: ${errorMessage(e)}. The object is corrupted or truncated; restore from another backup.`, { cause: e });
}

/** Attempts of a statement that InnoDB rolled back for a deadlock or a lock wait timeout. */
export const LOCK_RETRIES = 6;

/**
 * Runs one statement, again when InnoDB rolled it back as a deadlock victim or after a lock wait
 * timeout. Loader sessions run in autocommit, one INSERT per statement, so such a failure undid
 * exactly that statement and nothing else: running it again is safe. Parallel loaders inserting
 * neighbouring key ranges of one table can deadlock on gap locks now and then.
 */
async function execWithLockRetry(conn: mysql.Connection, sql: Buffer, f: FramedStatement) {
  // the in-place packet reuses the frame's bytes: only when the statement was not rewritten
  const insert = f.meta.k === "insert";
  const room = insert && sql === f.sql ? f.withHeadroom : null;
  for (let attempt = 1; ; attempt++) {
    try {
      return await (insert ? execInsert(conn, sql, room) : execBytes(conn, sql));
    } catch (e) {
      if (!isTransientLockError(e) || attempt >= LOCK_RETRIES) throw e;
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt + Math.random() * 50));
    }
  }
}

/**
 * Streams one object of the set and runs its statements in order on `conn`. The object is verified
 * while it streams (authentication per encrypted chunk, zstd checksum, sha256 at the end). When a
 * statement fails, the rest of the object is read to find out whether the object itself is
 * corrupted; either way the error names the object, the table and the statement.
 */
export async function applyObject(conn: mysql.Connection, reader: BackupSetReader, o: ManifestObject, target: ServerAddress, hooks: ApplyHooks = {}): Promise<number> {
  let stream;
  try {
    stream = await reader.open(o);
  } catch (e) {
    throw readError(e, reader, o);
  }
  const gen = readFrames(readChunks(stream), reader.describe(o));
  const state: StatementState = { sqlMode: "", charset: "binary" };
  let n = 0;
  try {
    for (;;) {
      let next: IteratorResult<FramedStatement>;
      try {
        next = await gen.next();
      } catch (e) {
        throw readError(e, reader, o);
      }
      if (next.done) break;
      const f = next.value;
      trackState(f, state);
      const sql = hooks.transform ? await hooks.transform(f, state) : f.sql;
      if (sql === null) continue;
      n++;
      try {
        await execWithLockRetry(conn, sql, f);
      } catch (e) {
        // a statement that fails may be the first sign of a corrupted object: read on to know
        try {
          for (;;) if ((await gen.next()).done) break;
        } catch (re) {
          throw readError(re, reader, o);
        }
        const where = describeAddress(target);
        const what = `${f.meta.k}${f.meta.name ? ` ${f.meta.name}` : ""}`;
        if (isConnectionLost(e))
          throw new DomainError("UNAVAILABLE", `The connection to ${where} was lost while restoring ${objectLabel(o)}: the server restarted or was killed. Retry the restore.`, { retryable: true, cause: e });
        const priv = deniedPrivilege(e);
        throw new DomainError(
          priv ? "FORBIDDEN" : "INVALID",
          `Restoring ${objectLabel(o)} on ${where} failed at statement ${n} (${what}): ${serverMessage(e)}${priv ? ` (the restore account needs ${priv})` : ""}`,
          { cause: e },
        );
      }
      hooks.onStatement?.(f);
    }
  } finally {
    (stream as { destroy?: () => void }).destroy?.();
  }
  return n;
}
