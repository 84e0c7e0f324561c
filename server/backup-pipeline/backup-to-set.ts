import { BackupSetWriter, type SetEncoding } from "../artifact/backup-set";
import { keyId } from "../artifact/encryption";
import { MANIFEST_FORMAT, type Manifest, type ManifestObject } from "../artifact/manifest";
import { getEngine, listEngines, selectEngine, type EngineChoice } from "../engines/registry";
import { createEngineSelector, type SelectorOptions } from "../engines/select/select-engine";
import type { BackupEngine, EngineLayout, TableFilter } from "../engines/types";
import type { WorkContext } from "../work-context";
import { DomainError } from "../errors";
import type { ServerAddress } from "../mysql/connection-options";
import type { ServerFacts } from "../mysql/server-facts";
import type { ObjectStore, WriteOptions } from "../storage/object-store";
import { newId } from "../util/ids";
import { SidecarStore } from "./sidecar-store";
import type { ChainBase } from "../artifact/chain";
import { chainLinkOf, checkBaseFits } from "./chain-link";

/** What an engine (or its seed name, e.g. mysqldump) writes into a set, so an output can be checked before the work starts. */
export function engineLayout(name: string): EngineLayout {
  return getEngine(name).layout;
}

export type ChooseEngineOptions = SelectorOptions & {
  /** "auto" (default) or an engine name */
  engine?: string;
  /** how the server is named in messages (a host's name; default "this server") */
  serverName?: string;
  /** only engines writing this layout (a single .tar.gz archive needs "tar") */
  layouts?: string[];
};

/**
 * The engine for a backup: the one named, or the selector's choice among the engines available
 * for these facts (optionally only those writing one of `layouts`). Fails with the reasons when
 * the engine cannot back up this server.
 */
export function chooseEngine(facts: ServerFacts, o: ChooseEngineOptions = {}): EngineChoice {
  const name = o.engine ?? "auto";
  let choice: EngineChoice;
  if (name === "auto") {
    const base = createEngineSelector(o);
    const layouts = o.layouts;
    choice = selectEngine(facts, {
      selector: layouts ? (f, available) => base(f, available.filter((e) => layouts.includes(e.layout))) : base,
    });
    if (layouts && !layouts.includes(choice.engine.layout)) {
      const why = listEngines()
        .filter((e) => layouts.includes(e.layout))
        .map((e) => `${e.name}: ${e.availability(facts).reasons.join("; ") || "unavailable"}`);
      throw new DomainError("PRECONDITION", `No engine that writes a ${layouts.join("/")} archive is available for this server (${why.join(" | ") || "none registered"}). Write a logical backup to a directory, an s3:// prefix or a .sql.zst file instead.`);
    }
  } else {
    choice = { engine: getEngine(name), reason: `engine ${name} requested` };
  }
  const a = choice.engine.availability(facts);
  if (!a.available) throw new DomainError("PRECONDITION", `The ${choice.engine.name} engine cannot back up ${o.serverName ?? "this server"}: ${a.reasons.join("; ")}`);
  return choice;
}

/** A set that holds exactly one object under a given name (a single-file backup, see SidecarStore). */
class SingleObjectSetWriter extends BackupSetWriter {
  private used = false;
  constructor(
    store: SidecarStore,
    encoding: SetEncoding,
    writeOptions: WriteOptions,
    private readonly engineName: string,
  ) {
    super(store, "", encoding, writeOptions);
  }
  override object(_path: string, meta: Omit<ManifestObject, "path" | "size" | "rawSize" | "sha256">, opts: { threads?: number; onRawBytes?: (n: number) => void } = {}) {
    if (this.used) {
      throw new DomainError("PRECONDITION", `The ${this.engineName} engine writes more than one object, and ${this.store.describe()} holds one: write to a directory or an s3:// prefix instead.`);
    }
    this.used = true;
    return super.object((this.store as SidecarStore).objectName, meta, opts);
  }
}

export type BackupToSetOptions = {
  server: ServerAddress;
  facts: ServerFacts;
  /** the engine to run (see chooseEngine) */
  engine: BackupEngine;
  /** why this engine (recorded in the manifest) */
  reason?: string;
  /** where the set goes: a store and a prefix ("" or ending in "/") ... */
  store: ObjectStore;
  prefix?: string;
  /** ... or a single file in the store (db.tar.gz) with its manifest next to it */
  singleFile?: string;
  compression: SetEncoding["compression"];
  level?: number;
  /** client-side encryption key (32 bytes), or null */
  key?: Buffer | null;
  /** S3 multipart upload: part size and parallel parts */
  writeOptions?: WriteOptions;
  filter?: TableFilter;
  parallel?: number;
  includeUsers?: boolean;
  /** engine options (snapshot backend, clone donor, datadir, ...) */
  options?: Record<string, unknown>;
  hostName?: string;
  /** the catalog's host id, recorded in the manifest (runs only) */
  hostId?: string;
  backupId?: string;
  /** an incremental or differential (mariabackup): the base it is a delta of (see chain-base.ts) */
  base?: ChainBase | null;
  /**
   * Called after every data object is written and before the manifest (the commit point): a
   * runner agent checks its fenced lease here, so a zombie never commits a set (throw to abort;
   * the set is then removed).
   */
  beforeCommit?: () => Promise<void>;
};

export type BackupToSetResult = { manifest: Manifest; manifestSha256: string; location: string };

/**
 * Runs an engine into a backup set outside the catalog (the CLI and the library): objects stream
 * through compress -> encrypt -> sha256 to the store, the manifest is written last, and a failure
 * or ctx.signal abort removes everything the backup wrote.
 */
export async function backupToSet(ctx: WorkContext, o: BackupToSetOptions): Promise<BackupToSetResult> {
  const encoding: SetEncoding = { compression: o.compression, level: o.level, key: o.key ?? null };
  const writeOptions = o.writeOptions ?? {};
  const set = o.singleFile
    ? new SingleObjectSetWriter(new SidecarStore(o.store, o.singleFile), encoding, writeOptions, o.engine.name)
    : new BackupSetWriter(o.store, o.prefix ?? "", encoding, writeOptions);
  const backupId = o.backupId ?? newId("b");
  const hostName = o.hostName ?? (o.facts.hostname || "mysql");
  ctx.log("info", `Engine: ${o.engine.name}${o.reason ? ` (${o.reason})` : ""}. Writing to ${set.store.describe(set.prefix)}.`);
  if (o.base) checkBaseFits(o.base, o.engine, o.facts);
  let outcome;
  try {
    outcome = await o.engine.backup(ctx, {
      server: o.server,
      facts: o.facts,
      hostName,
      backupId,
      set,
      filter: o.filter ?? {},
      parallel: o.parallel ?? 4,
      includeUsers: o.includeUsers ?? false,
      options: { ...(o.options ?? {}), ...(o.base ? { incrementalLsn: o.base.parent.toLsn } : {}) },
    });
    const chain = chainLinkOf(backupId, o.engine, outcome, o.base ?? null);
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error("aborted");
    await o.beforeCommit?.();
    ctx.progress({ phase: "writing manifest" });
    const { manifest, sha256 } = await set.commit({
      ...outcome,
      format: MANIFEST_FORMAT,
      id: backupId,
      host: { name: hostName, ...(o.hostId ? { id: o.hostId } : {}) },
      compression: { algorithm: o.compression, ...(o.level !== undefined ? { level: o.level } : {}) },
      encryption: encoding.key ? { algorithm: "AES-256-GCM-chunked", keyId: keyId(encoding.key) } : null,
      details: { ...(outcome.details ?? {}), ...(o.reason ? { engineReason: o.reason } : {}) },
      ...(chain ? { chain } : {}),
    });
    return { manifest, manifestSha256: sha256, location: set.store.describe(set.prefix) };
  } catch (e) {
    await set.abort(e);
    throw e;
  }
}
