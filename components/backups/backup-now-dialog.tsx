"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Checkbox, Field, Input, Select } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { formErrors } from "@/lib/errors";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { formatBytes } from "@/server/util/format";

type Host = RouterOutputs["hosts"]["get"];

export function BackupNowDialog({ host, open, onClose }: { host: Host; open: boolean; onClose: () => void }) {
  const router = useRouter();
  const targets = trpc.storage.list.useQuery(undefined, { enabled: open });
  const keys = trpc.keys.list.useQuery(undefined, { enabled: open });
  const engineReport = trpc.hosts.engines.useQuery({ id: host.id }, { enabled: open });
  const engines = { data: engineReport.data?.options };
  const start = trpc.backups.start.useMutation({ onSuccess: (run) => router.push(`/runs/${run.id}`) });
  const dbs = (host.facts?.sizes ?? []).filter((s) => s.name !== "mysql");
  const [f, setF] = useState({ targetId: "", engine: "logical", all: true, databases: [] as string[], compression: "zstd", level: "3", encryptionKeyId: "", parallel: "4", includeUsers: false });
  const { fields } = formErrors(start.error);
  const targetId = f.targetId || targets.data?.[0]?.id || "";
  const auto = engines.data?.find((e) => e.name === "auto");
  // a host never reached has no engine report: only the logical engine can be offered (it connects when the run starts)
  const unknown = !engineReport.isLoading && !engineReport.data?.report;
  const engineList = (engines.data ?? []).filter((e) => e.name !== "auto");
  if (!engineList.some((e) => e.name === "logical")) engineList.unshift({ name: "logical", available: true, reasons: [], description: "Consistent dump over the network; needs only SELECT (and RELOAD/LOCK for the lock-free snapshot).", choice: undefined });
  const engineHint = engineList.find((e) => e.name === f.engine)?.description ?? auto?.description;
  const toggleDb = (name: string) => setF({ ...f, databases: f.databases.includes(name) ? f.databases.filter((d) => d !== name) : [...f.databases, name] });
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={`Back up ${host.name} now`}
      mutation={start}
      closeOnSuccess={false}
      submitDisabled={!targetId}
      submitLabel="Start backup"
      onSubmit={() =>
        start.mutateAsync({
          hostId: host.id,
          targetId,
          engine: f.engine,
          databases: f.all ? [] : f.databases,
          compression: f.compression as "zstd",
          level: Number(f.level),
          encryptionKeyId: f.encryptionKeyId || null,
          parallel: Number(f.parallel),
          includeUsers: f.includeUsers,
        })
      }
    >
      {targets.data && targets.data.length === 0 && <Alert tone="warning">There is no storage target yet. An admin must add one under Storage.</Alert>}
      {engineReport.error && <Alert tone="error">Could not check this host&apos;s engines: {engineReport.error.message}</Alert>}
      {unknown && !engineReport.error && (
        <Alert tone="warning">
          {host.name} has not been reached yet{host.introspectionError ? " (the host page says why)" : ""}, so which engines it supports is unknown and only logical is offered. The run connects when it starts and fails with the reason if the host is still unreachable; “Introspect now” checks again.
        </Alert>
      )}
      <div className="grid grid-cols-2 gap-4">
        <Field label="Engine" htmlFor="bk-engine" error={fields.engine} hint={engineReport.isLoading ? "Checking which engines this host supports…" : engineHint}>
          <Select id="bk-engine" value={f.engine} onChange={(e) => setF({ ...f, engine: e.target.value })}>
            <option value="auto" disabled={!!auto && !auto.available}>
              auto{auto?.choice ? ` (${auto.choice})` : auto && !auto.available ? " (not available)" : ""}
            </option>
            {engineList.map((e) => (
              <option key={e.name} value={e.name} disabled={!e.available} title={e.reasons.join("; ")}>
                {e.name}
                {e.available ? "" : " (not available)"}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Storage target" htmlFor="bk-target" error={fields.targetId}>
          <Select id="bk-target" value={targetId} onChange={(e) => setF({ ...f, targetId: e.target.value })}>
            {targets.data?.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.location})
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Databases</legend>
        <div className="mt-1 space-y-1">
          <Checkbox label="All databases" checked={f.all} onChange={(e) => setF({ ...f, all: e.target.checked })} />
          {!f.all && (
            <div className="ml-6 grid grid-cols-2 gap-1">
              {dbs.map((d) => (
                <Checkbox key={d.name} label={`${d.name} (${formatBytes(d.dataBytes + d.indexBytes)})`} checked={f.databases.includes(d.name)} onChange={() => toggleDb(d.name)} />
              ))}
            </div>
          )}
        </div>
        {fields.databases && <p className="mt-1 text-sm text-red-600">{fields.databases}</p>}
      </fieldset>
      <div className="grid grid-cols-3 gap-4">
        <Field label="Compression" htmlFor="bk-compression">
          <Select id="bk-compression" value={f.compression} onChange={(e) => setF({ ...f, compression: e.target.value })}>
            <option value="zstd">zstd</option>
            <option value="gzip">gzip</option>
            <option value="none">none</option>
          </Select>
        </Field>
        <Field label="Level" htmlFor="bk-level" error={fields.level}>
          <Input id="bk-level" inputMode="numeric" value={f.level} onChange={(e) => setF({ ...f, level: e.target.value })} disabled={f.compression === "none"} />
        </Field>
        <Field label="Connections" htmlFor="bk-parallel" error={fields.parallel}>
          <Input id="bk-parallel" inputMode="numeric" value={f.parallel} onChange={(e) => setF({ ...f, parallel: e.target.value })} />
        </Field>
      </div>
      <Field label="Encryption" htmlFor="bk-key" hint="Client-side AES-256-GCM. Keep an exported copy of the key: without it the backup cannot be restored.">
        <Select id="bk-key" value={f.encryptionKeyId} onChange={(e) => setF({ ...f, encryptionKeyId: e.target.value })}>
          <option value="">not encrypted</option>
          {keys.data?.map((k) => (
            <option key={k.id} value={k.id}>
              {k.name} ({k.keyId})
            </option>
          ))}
        </Select>
      </Field>
      <Checkbox label="Include users and grants" checked={f.includeUsers} onChange={(e) => setF({ ...f, includeUsers: e.target.checked })} />
    </FormDialog>
  );
}
