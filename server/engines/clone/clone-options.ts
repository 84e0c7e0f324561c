import { z } from "zod";
import { DomainError } from "../../errors";
import type { ServerAddress } from "../../mysql/connection-options";

const str = z.string().trim().min(1).optional();
const remoteBlock = z
  .object({ enabled: z.boolean().optional(), donor_host: str, donor_port: z.coerce.number().int().positive().optional(), donor_user: str, donor_password: z.string().optional() })
  .partial();
const address = z.object({ host: str, port: z.coerce.number().int().positive().optional(), socket: z.string().nullable().optional(), user: z.string(), password: z.string().nullable().optional() }).passthrough();

const raw = z
  .object({
    // where the clone is written; for a local clone the server itself writes there
    cloneDir: str,
    clone: z.object({ data_dir: str, remote: remoteBlock.optional() }).partial().optional(),
    // the seed's CLI flags
    cloneRemote: z.boolean().optional(),
    cloneDonorHost: str,
    cloneDonorPort: z.coerce.number().int().positive().optional(),
    cloneDonorUser: str,
    cloneDonorPassword: z.string().optional(),
    /** the MySQL instance on this machine that runs CLONE INSTANCE for a remote clone */
    recipient: address.optional(),
    pollIntervalMs: z.coerce.number().int().min(10).max(60_000).optional(),
    allowNonInnodb: z.boolean().optional(),
    datadir: str,
  })
  .passthrough();

export type CloneOptions = {
  cloneDir: string | null;
  remote: null | { donorHost: string | null; donorPort: number | null; donorUser: string | null; donorPassword: string | null; recipient: ServerAddress };
  pollIntervalMs: number;
  allowNonInnodb: boolean;
  datadir: string | null;
};

export function parseCloneOptions(options: Record<string, unknown> | undefined): CloneOptions {
  const r = raw.safeParse(options ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new DomainError("INVALID", `Clone option ${i.path.join(".")}: ${i.message}`, { field: i.path.join(".") });
  }
  const o = r.data;
  const rem = o.clone?.remote;
  const remoteOn = o.cloneRemote ?? rem?.enabled ?? false;
  let remote: CloneOptions["remote"] = null;
  if (remoteOn) {
    if (!o.recipient) {
      throw new DomainError(
        "INVALID",
        "A remote clone runs CLONE INSTANCE on a recipient MySQL server on this machine, which then holds the copy: set recipient (its host, port, user with CLONE_ADMIN).",
        { field: "recipient" },
      );
    }
    remote = {
      donorHost: o.cloneDonorHost ?? rem?.donor_host ?? null,
      donorPort: o.cloneDonorPort ?? rem?.donor_port ?? null,
      donorUser: o.cloneDonorUser ?? rem?.donor_user ?? null,
      donorPassword: o.cloneDonorPassword ?? rem?.donor_password ?? null,
      recipient: o.recipient as ServerAddress,
    };
  }
  return { cloneDir: o.cloneDir ?? null, remote, pollIntervalMs: o.pollIntervalMs ?? 1000, allowNonInnodb: o.allowNonInnodb ?? false, datadir: o.datadir ?? o.clone?.data_dir ?? null };
}
