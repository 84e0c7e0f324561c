import type { Readable } from "node:stream";
import { DomainError } from "../errors";
import type { ObjectStore } from "../storage/object-store";
import { keyId } from "./encryption";
import { readManifest, type Manifest, type ManifestObject } from "./manifest";
import { checkObject, openObjectReader, readObject } from "./object-io";

/** Reads a committed backup set: its manifest, and its objects verified against it. */
export class BackupSetReader {
  /**
   * The earlier links of a physical chain this set is a delta of, full first (set by whoever opens
   * the chain, see server/restore/physical/open-chain.ts); empty for a full or a logical backup.
   */
  ancestors: readonly BackupSetReader[] = [];

  private constructor(
    readonly store: ObjectStore,
    readonly prefix: string,
    readonly manifest: Manifest,
    private readonly key: Buffer | null,
  ) {}

  /**
   * Opens the set at `prefix` (ending in "/"). An encrypted set needs its key; a wrong key is named
   * before any object is read.
   */
  static async open(store: ObjectStore, prefix: string, key: Buffer | null = null): Promise<BackupSetReader> {
    const p = prefix === "" || prefix.endsWith("/") ? prefix : prefix + "/";
    const manifest = await readManifest(store, p);
    if (manifest.encryption) {
      if (!key) throw new DomainError("PRECONDITION", `${store.describe(p)} is encrypted (key ${manifest.encryption.keyId}); provide its key.`);
      const given = keyId(key);
      if (given !== manifest.encryption.keyId)
        throw new DomainError("PRECONDITION", `${store.describe(p)} was encrypted with key ${manifest.encryption.keyId}, but the key given is ${given}. Use the key the backup was made with.`);
    }
    return new BackupSetReader(store, p, manifest, manifest.encryption ? key : null);
  }

  private enc() {
    return { compression: this.manifest.compression.algorithm, key: this.key };
  }

  private expected(o: ManifestObject) {
    return { path: this.prefix + o.path, size: o.size, sha256: o.sha256 };
  }

  /** Raw bytes of an object; errors on corruption (authentication, decompression, sha256, size). */
  open(o: ManifestObject): Promise<Readable> {
    return openObjectReader(this.store, this.expected(o), this.enc());
  }

  read(o: ManifestObject): Promise<Buffer> {
    return readObject(this.store, this.expected(o), this.enc());
  }

  /** Verifies one object without keeping its bytes; returns the raw size. */
  check(o: ManifestObject): Promise<number> {
    return checkObject(this.store, this.expected(o), this.enc());
  }

  describe(o?: ManifestObject) {
    return this.store.describe(this.prefix + (o?.path ?? ""));
  }
}
