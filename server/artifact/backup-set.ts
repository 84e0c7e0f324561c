import type { ObjectStore, WriteOptions } from "../storage/object-store";
import type { Compression } from "./compression";
import { writeManifest, type Manifest, type ManifestObject } from "./manifest";
import { openObjectWriter, type ObjectWriter } from "./object-io";
import { DomainError } from "../errors";

export type SetEncoding = { compression: Compression; level?: number; key: Buffer | null; keyId?: string | null };

/**
 * Writes one backup set under `prefix` (e.g. "shop-primary/20261123T030000-ab12/"): objects first,
 * then the manifest LAST. `abort()` aborts open uploads and deletes everything under the prefix, so
 * a failed or cancelled backup leaves nothing behind.
 */
export class BackupSetWriter {
  readonly objects: ManifestObject[] = [];
  private readonly open = new Set<ObjectWriter>();
  private committed = false;
  constructor(
    readonly store: ObjectStore,
    readonly prefix: string,
    readonly encoding: SetEncoding,
    private readonly writeOptions: WriteOptions & { onStoredBytes?: (n: number) => void } = {},
  ) {}

  /** The extension objects get for this set's encoding, e.g. ".zst.enc". */
  get extension(): string {
    return (this.encoding.compression === "zstd" ? ".zst" : this.encoding.compression === "gzip" ? ".gz" : "") + (this.encoding.key ? ".enc" : "");
  }

  /**
   * Opens an object for streaming raw bytes. Its manifest entry is recorded when it completes.
   * `meta` fills the entry's role/database/table/rows (rows may be set later via the returned entry).
   */
  object(path: string, meta: Omit<ManifestObject, "path" | "size" | "rawSize" | "sha256">, opts: { threads?: number; onRawBytes?: (n: number) => void } = {}) {
    const w = openObjectWriter(this.store, this.prefix + path, { ...this.encoding, threads: opts.threads }, { ...this.writeOptions, onRawBytes: opts.onRawBytes });
    this.open.add(w);
    const entry: ManifestObject = { path, size: 0, rawSize: 0, sha256: "0".repeat(64), ...meta };
    const done = w.done.then(
      (r) => {
        this.open.delete(w);
        entry.size = r.size;
        entry.rawSize = r.rawSize;
        entry.sha256 = r.sha256;
        this.objects.push(entry);
        this.writeOptions.onStoredBytes?.(r.size);
        return entry;
      },
      (e) => {
        this.open.delete(w);
        throw e;
      },
    );
    done.catch(() => undefined);
    return { input: w.input, done, entry };
  }

  /** Writes a small object in one go. */
  async put(path: string, data: Buffer | string, meta: Omit<ManifestObject, "path" | "size" | "rawSize" | "sha256">) {
    const o = this.object(path, meta);
    o.input.end(typeof data === "string" ? Buffer.from(data) : data);
    return o.done;
  }

  /** Writes the manifest (objects sorted by path, totals filled in). After this the backup exists. */
  async commit(m: Omit<Manifest, "objects" | "totals"> & { totals?: Partial<Manifest["totals"]> }): Promise<{ manifest: Manifest; sha256: string }> {
    if (this.open.size) throw new DomainError("INTERNAL", `${this.open.size} object(s) still being written when the manifest was due: this is a bug in the engine; the backup was not recorded`);
    const objects = [...this.objects].sort((a, b) => a.path.localeCompare(b.path));
    const manifest: Manifest = {
      ...m,
      objects,
      totals: {
        rawBytes: objects.reduce((s, o) => s + o.rawSize, 0),
        storedBytes: objects.reduce((s, o) => s + o.size, 0),
        rows: m.totals?.rows ?? objects.reduce((s, o) => s + (o.rows ?? 0), 0),
        tables: m.totals?.tables ?? m.databases.reduce((s, d) => s + d.tables.length, 0),
      },
    };
    const sha256 = await writeManifest(this.store, this.prefix, manifest);
    this.committed = true;
    return { manifest, sha256 };
  }

  /** Aborts open uploads and removes every object under the prefix. Safe to call twice. */
  async abort(reason?: unknown): Promise<void> {
    if (this.committed) return;
    await Promise.allSettled([...this.open].map((w) => w.abort(reason)));
    this.open.clear();
    await this.store.deletePrefix(this.prefix).catch(() => undefined);
  }
}
