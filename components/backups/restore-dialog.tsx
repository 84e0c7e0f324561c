"use client";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Checkbox, Field, Input, Select } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { formErrors } from "@/lib/errors";
import { DatabaseMapping, mappingPlan, OverwriteConfirm } from "./database-mapping";
import { trpc } from "@/lib/trpc";

type BackupLike = { id: string; hostId: string; host: { id: string; name: string }; databases: string[]; finishedAt: Date; format: string; engine: string };

/** Physical backups (snapshot, mariabackup, clone) replace a whole datadir. */
function PhysicalRestoreDialog({ backup, open, onClose }: { backup: BackupLike; open: boolean; onClose: () => void }) {
  const router = useRouter();
  const { can } = useUser();
  const hosts = trpc.hosts.list.useQuery();
  const [targetHostId, setTarget] = useState(backup.hostId);
  const [startCommand, setStart] = useState("systemctl start mariadb");
  const [confirm, setConfirm] = useState("");
  const restore = trpc.backups.restore.useMutation({ onSuccess: (run) => router.push(`/runs/${run.id}`) });
  const { fields } = formErrors(restore.error);
  const target = hosts.data?.find((h) => h.id === targetHostId);
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      wide
      title={`Restore ${backup.engine} backup of ${backup.host.name} from ${new Date(backup.finishedAt).toLocaleString()}`}
      mutation={restore}
      closeOnSuccess={false}
      submitVariant="danger"
      submitDisabled={!can("admin")}
      submitLabel="Replace datadir and restore"
      onSubmit={() => restore.mutateAsync({ backupId: backup.id, targetHostId, startCommand, confirm, databases: [], rename: {}, dropExisting: true, parallel: 4 })}
    >
      <Alert tone="warning" title={`A ${backup.engine} backup restores a whole server`}>
        The target server is stopped, its datadir is moved aside (kept as <code>datadir.before-restore-…</code>), the backup is put in its place and the server is started with the command
        below. If it does not come back, the old datadir is put back. The server must run on this machine. To check a physical backup without touching a server, verify it instead.
      </Alert>
      <Field label="Replace the datadir of" htmlFor="ph-host">
        <Select id="ph-host" value={targetHostId} onChange={(e) => setTarget(e.target.value)}>
          {hosts.data?.map((h) => (
            <option key={h.id} value={h.id}>
              {h.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Start command" htmlFor="ph-start" error={fields.startCommand} hint="Run with sh -c after the files are in place.">
        <Input id="ph-start" className="font-mono" value={startCommand} onChange={(e) => setStart(e.target.value)} />
      </Field>
      {can("admin") ? (
        <Field label={`Type ${target?.name ?? "the host name"} to confirm`} htmlFor="ph-confirm" error={fields.confirm}>
          <Input id="ph-confirm" aria-label="Type the host name to confirm" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </Field>
      ) : (
        <Alert tone="error">Only an admin can replace a server's datadir.</Alert>
      )}
    </FormDialog>
  );
}

/** "Restore...": target host, database name mapping, confirmation when overwriting the source. */
export function RestoreDialog({ backup, open, onClose }: { backup: BackupLike; open: boolean; onClose: () => void }) {
  if (backup.format === "tar" || backup.format === "xbstream") {
    // mounted only while open, so each opening starts from the defaults
    return open ? <PhysicalRestoreDialog backup={backup} open={open} onClose={onClose} /> : null;
  }
  return <LogicalRestoreDialog backup={backup} open={open} onClose={onClose} />;
}

function LogicalRestoreDialog({ backup, open, onClose }: { backup: BackupLike; open: boolean; onClose: () => void }) {
  const router = useRouter();
  const { can } = useUser();
  const hosts = trpc.hosts.list.useQuery(undefined, { enabled: open });
  const [targetHostId, setTarget] = useState(backup.hostId);
  const [selected, setSelected] = useState<string[]>(backup.databases);
  const [names, setNames] = useState<Record<string, string>>(() => Object.fromEntries(backup.databases.map((d) => [d, `${d}_restored`])));
  const [dropExisting, setDrop] = useState(false);
  const [confirm, setConfirm] = useState("");
  useEffect(() => {
    if (open) {
      setSelected(backup.databases);
      setNames(Object.fromEntries(backup.databases.map((d) => [d, `${d}_restored`])));
    }
  }, [open, backup.databases]);
  const restore = trpc.backups.restore.useMutation({ onSuccess: (run) => router.push(`/runs/${run.id}`) });
  const { fields } = formErrors(restore.error);
  const target = hosts.data?.find((h) => h.id === targetHostId);
  const { keepingName, rename } = mappingPlan(selected, names);
  const overOriginal = targetHostId === backup.hostId && keepingName.length > 0;
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      wide
      title={`Restore backup of ${backup.host.name} from ${new Date(backup.finishedAt).toLocaleString()}`}
      mutation={restore}
      closeOnSuccess={false}
      submitVariant={overOriginal ? "danger" : "primary"}
      submitDisabled={selected.length === 0 || (overOriginal && !can("admin"))}
      submitLabel={overOriginal ? "Overwrite and restore" : "Restore"}
      onSubmit={() => restore.mutateAsync({ backupId: backup.id, targetHostId, databases: selected, rename, dropExisting: dropExisting || overOriginal, confirm: overOriginal ? confirm : undefined })}
    >
      <Field label="Restore into host" htmlFor="rs-host" error={fields.targetHostId}>
        <Select id="rs-host" value={targetHostId} onChange={(e) => setTarget(e.target.value)}>
          {hosts.data?.map((h) => (
            <option key={h.id} value={h.id}>
              {h.name}
              {h.id === backup.hostId ? " (the source host)" : ""}
              {h.isVerificationHost ? " (verification host)" : ""}
            </option>
          ))}
        </Select>
      </Field>
      <div>
        <div className="text-sm font-medium text-slate-700">Databases and their names on {target?.name ?? "the target"}</div>
        <DatabaseMapping databases={backup.databases} selected={selected} names={names} onSelected={setSelected} onNames={setNames} />
        {(fields.rename || fields.databases) && <p className="mt-1 text-sm text-red-600">{fields.rename ?? fields.databases}</p>}
      </div>
      {!overOriginal && <Checkbox label="Replace databases that already exist on the target" checked={dropExisting} onChange={(e) => setDrop(e.target.checked)} />}
      {overOriginal && (
        <OverwriteConfirm hostName={backup.host.name} databases={keepingName} confirm={confirm} onConfirm={setConfirm} error={fields.confirm} />
      )}
    </FormDialog>
  );
}
