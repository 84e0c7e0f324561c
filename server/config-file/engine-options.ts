import fs from "node:fs";
import { DomainError } from "../errors";
import type { ConfigFile } from "./schema";

/**
 * The engine options (BackupRequest.options) a configuration's backup section asks for: the
 * seed's clone and snapshot blocks, in the form the clone and snapshot engines read them.
 * Passwords are read from files here, never carried in the YAML itself.
 */
export function engineOptionsFromConfig(backup: ConfigFile["backup"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const s = backup?.snapshot;
  if (s) {
    out.snapshot = {
      ...(s.backend ? { backend: s.backend } : {}),
      lvm: { ...s.lvm },
      zfs: { ...s.zfs },
      btrfs: { ...s.btrfs },
    };
  }
  const c = backup?.clone;
  if (c) {
    const r = c.remote;
    out.clone = {
      ...(c.data_dir ? { data_dir: c.data_dir } : {}),
      ...(r
        ? {
            remote: {
              enabled: r.enabled ?? false,
              ...(r.donor_host ? { donor_host: r.donor_host } : {}),
              ...(r.donor_port ? { donor_port: r.donor_port } : {}),
              ...(r.donor_user ? { donor_user: r.donor_user } : {}),
              ...(r.donor_password_file ? { donor_password: readSecretFile(r.donor_password_file, "backup.clone.remote.donor_password_file") } : {}),
            },
          }
        : {}),
    };
  }
  return out;
}

/** Reads a password or key file (one trailing newline dropped); the error names the setting. */
export function readSecretFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DomainError("INVALID", `${what} ${file}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}.`);
  }
}
