import { DomainError } from "../../errors";
import { chooseDelimiter } from "./sql-text";

/** A damaged or foreign object: what is wrong with it and what to do. */
function corrupt(message: string): DomainError {
  return new DomainError("INVALID", `${message}. Verify the backup (dashboard "Verify now", mode check, or \`dbbackup verify\`) to list every damaged object, and restore from another backup.`);
}

/**
 * Framing of the SQL this engine writes (data objects, schema objects and the single SQL file).
 *
 * Every statement is preceded by one comment line `-- dbbackup {"n":<bytes>,...}` that gives its
 * exact length in bytes and what it is. The stock client reads the comment as a comment and the
 * statement as SQL, so the text replays with `mariadb < file`; the loader reads the length and never
 * has to tokenize SQL (whose quoting rules depend on the character set and sql_mode the statement
 * was written under). Bodies that contain ";" are wrapped in DELIMITER lines for the stock client.
 */
export type FrameKind =
  | "set" // session settings
  | "create-database"
  | "drop" // DROP ... IF EXISTS before a re-creation (single SQL file only: it replays onto a server that has the objects)
  | "alter-database"
  | "use"
  | "table"
  | "sequence"
  | "setval"
  | "placeholder-view"
  | "view"
  | "routine"
  | "trigger"
  | "event"
  | "user"
  | "grant"
  | "insert";

export type FrameMeta = {
  /** statement length in bytes (without terminator) */
  n: number;
  k: FrameKind;
  /** database the statement belongs to (create/alter/use) */
  db?: string;
  /** object name (table, view, routine, ...) */
  name?: string;
  /** rows in an INSERT */
  rows?: number;
  /** the client delimiter that terminates the statement when not ";" */
  dl?: string;
};

const PREFIX = "-- dbbackup ";
const PREFIX_BYTES = Buffer.from(PREFIX);

/**
 * Frames a statement: header line, statement, terminator. Returns the buffers to write in order
 * (the statement itself is not copied).
 */
export function frame(stmt: Buffer, meta: Omit<FrameMeta, "n" | "dl">, needsDelimiter = false): Buffer[] {
  const dl = needsDelimiter ? chooseDelimiter(stmt) : undefined;
  const header = Buffer.from(PREFIX + JSON.stringify({ n: stmt.length, ...meta, ...(dl ? { dl } : {}) }) + "\n");
  if (!dl) return [header, stmt, SEMI_NL];
  return [Buffer.from(`DELIMITER ${dl}\n`), header, stmt, Buffer.from(`${dl}\nDELIMITER ;\n`)];
}

export function frameText(sql: string, meta: Omit<FrameMeta, "n" | "dl">, needsDelimiter = false): Buffer[] {
  return frame(Buffer.from(sql, "utf8"), meta, needsDelimiter);
}

const SEMI_NL = Buffer.from(";\n");

/**
 * The stock client's `charset` command: the client splits what follows in that character set (and
 * sends SET NAMES). "charset binary" before data makes every client, whatever its locale's
 * character set (gbk, sjis, big5 have backslashes and quotes as second bytes), read raw bytes
 * byte by byte. The loader skips these lines.
 */
export function clientCharset(cs: string): Buffer {
  return Buffer.from(`charset ${cs}\n`);
}

/** A plain comment line (ignored by the loader). */
export function comment(text: string): Buffer {
  return Buffer.from(`-- ${text.replace(/[\r\n]+/g, " ")}\n`);
}

export type FramedStatement = {
  meta: FrameMeta;
  sql: Buffer;
  /**
   * When the statement had to be copied out of several stream chunks: the copy with
   * STATEMENT_HEADROOM spare bytes in front of `sql` (a protocol packet header fits there, so the
   * loader sends it without another copy). Null when `sql` is a view of a stream chunk.
   */
  withHeadroom: Buffer | null;
};

/** Spare bytes in front of a copied statement: a MySQL packet header (4) and the COM_QUERY byte. */
export const STATEMENT_HEADROOM = 5;

/** Bytes from a stream, consumed from the front without re-copying what is already buffered. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private off = 0;
  length = 0;
  push(b: Buffer) {
    if (b.length) {
      this.chunks.push(b);
      this.length += b.length;
    }
  }
  /** Offset (from the front) of the first `byte`, or -1. */
  indexOf(byte: number): number {
    let base = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      const from = i === 0 ? this.off : 0;
      const at = c.indexOf(byte, from);
      if (at >= 0) return base + at - from;
      base += c.length - from;
    }
    return -1;
  }
  /** The whole buffer of the latest take() that copied (with its headroom), else null. */
  copied: Buffer | null = null;
  /** The next n bytes (a view when they lie in one chunk, else one copy, `headroom` bytes into a new buffer). */
  take(n: number, headroom = 0): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    this.copied = null;
    if (first && first.length - this.off >= n) {
      out = first.subarray(this.off, this.off + n);
      this.off += n;
    } else {
      this.copied = Buffer.allocUnsafe(n + headroom);
      out = this.copied.subarray(headroom);
      let w = 0;
      while (w < n) {
        const c = this.chunks[0]!;
        const k = Math.min(n - w, c.length - this.off);
        c.copy(out, w, this.off, this.off + k);
        w += k;
        this.off += k;
        if (this.off === c.length) {
          this.chunks.shift();
          this.off = 0;
        }
      }
    }
    if (this.chunks[0] && this.off === this.chunks[0].length) {
      this.chunks.shift();
      this.off = 0;
    }
    this.length -= n;
    return out;
  }
}

/**
 * Reads framed statements from a byte stream. Lines that are not frames (comments, DELIMITER
 * commands, blank lines) are skipped; anything else is an error, since it would mean the object is
 * not what this engine wrote. Memory holds at most one statement plus one read chunk.
 */
export async function* readFrames(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<FramedStatement> {
  const q = new ByteQueue();
  const it = source[Symbol.asyncIterator]();
  let ended = false;
  const fill = async (): Promise<boolean> => {
    if (ended) return false;
    const r = await it.next();
    if (r.done) {
      ended = true;
      return false;
    }
    q.push(r.value as Buffer);
    return true;
  };
  for (;;) {
    let nl = q.indexOf(10);
    while (nl < 0) {
      if (!(await fill())) {
        if (q.length && q.take(q.length).toString("latin1").trim() !== "") throw corrupt(`${what}: unexpected text at the end; the object is truncated or not a dbbackup logical object`);
        return;
      }
      nl = q.indexOf(10);
    }
    const line = q.take(nl + 1);
    if (line.length > PREFIX_BYTES.length && line.compare(PREFIX_BYTES, 0, PREFIX_BYTES.length, 0, PREFIX_BYTES.length) === 0) {
      let meta: FrameMeta;
      try {
        meta = JSON.parse(line.subarray(PREFIX_BYTES.length).toString("utf8")) as FrameMeta;
      } catch {
        throw corrupt(`${what}: a statement header is not valid JSON; the object is corrupted`);
      }
      const term = Buffer.from((meta.dl ?? ";") + "\n");
      while (q.length < meta.n + term.length) {
        if (!(await fill())) throw corrupt(`${what} ends in the middle of a statement (${meta.k} ${meta.name ?? ""}): the object is truncated`);
      }
      const sql = q.take(meta.n, STATEMENT_HEADROOM);
      const withHeadroom = q.copied;
      if (!q.take(term.length).equals(term)) throw corrupt(`${what}: statement ${meta.k} ${meta.name ?? ""} is not followed by its terminator; the object is corrupted`);
      yield { meta, sql, withHeadroom };
      continue;
    }
    const text = line.toString("latin1").trim();
    // comments, and the stock client's own commands (DELIMITER, charset)
    if (text === "" || text.startsWith("--") || /^(DELIMITER|charset)\s/i.test(text)) continue;
    throw corrupt(`${what}: unexpected line ${JSON.stringify(text.slice(0, 80))}; this is not a dbbackup logical object`);
  }
}
