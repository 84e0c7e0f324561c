"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Checkbox, Field, Input, Select } from "@/components/ui/field";
import { formErrors } from "@/lib/errors";
import { trpc, type RouterOutputs } from "@/lib/trpc";

type Policy = RouterOutputs["policies"]["get"];

const PRESETS = [
  { label: "Every day at 03:00", cron: "0 3 * * *" },
  { label: "Every 6 hours", cron: "0 */6 * * *" },
  { label: "Every hour", cron: "0 * * * *" },
  { label: "Sundays at 02:00", cron: "0 2 * * 0" },
];

function SchedulePreview({ schedule, timezone }: { schedule: string; timezone: string }) {
  const q = trpc.policies.preview.useQuery({ schedule, timezone, count: 5 }, { enabled: schedule.trim().length > 0, retry: false });
  if (!schedule.trim()) return null;
  if (q.error) return <p className="mt-1 text-sm text-red-600">{q.error.message}</p>;
  if (!q.data) return null;
  return (
    <div className="mt-2 text-xs text-slate-600" data-testid="schedule-preview">
      Next runs:{" "}
      {q.data.map((d, i) => (
        <span key={i} className="mr-2 inline-block rounded bg-slate-100 px-1.5 py-0.5 font-mono">
          {new Date(d).toLocaleString(undefined, { timeZone: timezone, dateStyle: "medium", timeStyle: "short" })}
        </span>
      ))}
      <span className="text-slate-400">({timezone})</span>
    </div>
  );
}

export function PolicyForm({ policy, defaultHostId }: { policy?: Policy; defaultHostId?: string }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const hosts = trpc.hosts.list.useQuery();
  const targets = trpc.storage.list.useQuery();
  const keys = trpc.keys.list.useQuery();
  const r = policy?.retention;
  const [f, setF] = useState({
    name: policy?.name ?? "",
    hostId: policy?.hostId ?? defaultHostId ?? "",
    targetId: policy?.targetId ?? "",
    engine: policy?.engine ?? "auto",
    backupKind: policy?.backupKind ?? "full",
    rtoSeconds: policy?.rtoSeconds ? String(policy.rtoSeconds) : "",
    databases: (policy?.databases ?? []).join(", "),
    schedule: policy?.schedule ?? "0 3 * * *",
    timezone: policy?.timezone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"),
    compression: policy?.compression ?? "zstd",
    compressionLevel: String(policy?.compressionLevel ?? 3),
    encryptionKeyId: policy?.encryptionKeyId ?? "",
    keepLast: r?.keepLast ? String(r.keepLast) : policy ? "" : "7",
    keepDays: r?.keepDays ? String(r.keepDays) : "",
    daily: String(r?.gfs?.daily ?? ""),
    weekly: String(r?.gfs?.weekly ?? ""),
    monthly: String(r?.gfs?.monthly ?? ""),
    yearly: String(r?.gfs?.yearly ?? ""),
    pitrDays: r?.pitrDays ? String(r.pitrDays) : "",
    verifySchedule: policy?.verifySchedule ?? "",
    binlogArchiving: policy?.binlogArchiving ?? false,
    incidentRows: String(policy?.incidentRows ?? 10000),
    staleAfterMinutes: policy?.staleAfterMinutes ? String(policy.staleAfterMinutes) : "",
    enabled: policy?.enabled ?? true,
  });
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setF({ ...f, [k]: e.target.type === "checkbox" ? (e.target as HTMLInputElement).checked : e.target.value });
  const create = trpc.policies.create.useMutation();
  const update = trpc.policies.update.useMutation();
  const save = policy ? update : create;
  const { message, fields } = formErrors(save.error);
  const num = (s: string) => (s.trim() === "" ? undefined : Number(s));
  const gfs = [f.daily, f.weekly, f.monthly, f.yearly].some((x) => x.trim() !== "")
    ? { daily: num(f.daily) ?? 0, weekly: num(f.weekly) ?? 0, monthly: num(f.monthly) ?? 0, yearly: num(f.yearly) ?? 0 }
    : undefined;
  const payload = () => ({
    name: f.name,
    hostId: f.hostId || hosts.data?.[0]?.id || "",
    targetId: f.targetId || targets.data?.[0]?.id || "",
    engine: f.engine,
    backupKind: f.backupKind as "full" | "incremental" | "differential",
    rtoSeconds: num(f.rtoSeconds) ?? null,
    databases: f.databases.split(",").map((s) => s.trim()).filter(Boolean),
    excludeTables: policy?.excludeTables ?? [],
    schedule: f.schedule,
    timezone: f.timezone,
    compression: f.compression as "zstd",
    compressionLevel: Number(f.compressionLevel),
    encryptionKeyId: f.encryptionKeyId || null,
    retention: { keepLast: num(f.keepLast), keepDays: num(f.keepDays), gfs, pitrDays: num(f.pitrDays) },
    verifySchedule: f.verifySchedule || null,
    binlogArchiving: f.binlogArchiving,
    incidentRows: num(f.incidentRows) ?? 10000,
    staleAfterMinutes: num(f.staleAfterMinutes) ?? null,
    enabled: f.enabled,
  });
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      const saved = policy ? await update.mutateAsync({ id: policy.id, ...payload() }) : await create.mutateAsync(payload());
      await utils.policies.invalidate();
      router.push(`/policies/${saved.id}`);
    } catch {
      // shown below
    }
  };
  const err = (k: string) => fields[k];
  return (
    <form onSubmit={submit} className="space-y-6" noValidate>
      {message && <Alert tone="error">{message}</Alert>}
      <Card>
        <CardHeader title="What and where" />
        <CardBody className="grid grid-cols-1 gap-4 sm:grid-cols-6">
          <Field label="Name" htmlFor="name" error={err("name")} className="sm:col-span-6">
            <Input id="name" value={f.name} onChange={set("name")} placeholder="shop nightly" invalid={!!err("name")} />
          </Field>
          <Field label="Host" htmlFor="hostId" error={err("hostId")} className="sm:col-span-3">
            <Select id="hostId" value={f.hostId || hosts.data?.[0]?.id || ""} onChange={set("hostId")}>
              {hosts.data?.map((h) => (
                <option key={h.id} value={h.id}>
                  {h.name}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Storage target" htmlFor="targetId" error={err("targetId")} className="sm:col-span-3">
            <Select id="targetId" value={f.targetId || targets.data?.[0]?.id || ""} onChange={set("targetId")}>
              {targets.data?.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Engine" htmlFor="engine" hint="auto picks the best available engine at each run and records why." className="sm:col-span-2">
            <Select id="engine" value={f.engine} onChange={set("engine")}>
              {["auto", "logical", "mariabackup", "snapshot", "clone"].map((e) => (
                <option key={e}>{e}</option>
              ))}
            </Select>
          </Field>
          <Field label="Backup kind" htmlFor="backupKind" hint="mariabackup chains: incremental = since the newest backup, differential = since the newest full (a full when there is none)." className="sm:col-span-2">
            <Select id="backupKind" value={f.backupKind} onChange={set("backupKind")}>
              {["full", "incremental", "differential"].map((k) => (
                <option key={k}>{k}</option>
              ))}
            </Select>
          </Field>
          <Field label="RTO target (seconds)" htmlFor="rtoSeconds" error={err("rtoSeconds")} hint="An incremental predicted to restore slower becomes a differential or a full." className="sm:col-span-2">
            <Input id="rtoSeconds" value={f.rtoSeconds} onChange={set("rtoSeconds")} placeholder="none" />
          </Field>
          <Field label="Databases" htmlFor="databases" hint="Comma-separated; empty = all." className="sm:col-span-4">
            <Input id="databases" value={f.databases} onChange={set("databases")} placeholder="shop, billing" />
          </Field>
          <Field label="Compression" htmlFor="compression" className="sm:col-span-2">
            <Select id="compression" value={f.compression} onChange={set("compression")}>
              <option>zstd</option>
              <option>gzip</option>
              <option>none</option>
            </Select>
          </Field>
          <Field label="Level" htmlFor="compressionLevel" error={err("compressionLevel")} className="sm:col-span-1">
            <Input id="compressionLevel" value={f.compressionLevel} onChange={set("compressionLevel")} />
          </Field>
          <Field label="Encryption key" htmlFor="encryptionKeyId" className="sm:col-span-3">
            <Select id="encryptionKeyId" value={f.encryptionKeyId} onChange={set("encryptionKeyId")}>
              <option value="">not encrypted</option>
              {keys.data?.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.name}
                </option>
              ))}
            </Select>
          </Field>
        </CardBody>
      </Card>
      <Card>
        <CardHeader title="When" />
        <CardBody className="space-y-4">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-6">
            <Field label="Schedule (cron)" htmlFor="schedule" error={err("schedule")} className="sm:col-span-3">
              <Input id="schedule" className="font-mono" value={f.schedule} onChange={set("schedule")} invalid={!!err("schedule")} />
            </Field>
            <Field label="Time zone" htmlFor="timezone" error={err("timezone")} className="sm:col-span-3">
              <Input id="timezone" value={f.timezone} onChange={set("timezone")} invalid={!!err("timezone")} />
            </Field>
          </div>
          <div className="flex flex-wrap gap-2">
            {PRESETS.map((p) => (
              <button key={p.cron} type="button" className="rounded-full bg-slate-100 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-200" onClick={() => setF({ ...f, schedule: p.cron })}>
                {p.label}
              </button>
            ))}
          </div>
          <SchedulePreview schedule={f.schedule} timezone={f.timezone} />
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-6">
            <Field label="Verify by restore (cron, optional)" htmlFor="verifySchedule" error={err("verifySchedule")} hint="Restores the newest backup into a sandbox and checks it." className="sm:col-span-3">
              <Input id="verifySchedule" className="font-mono" value={f.verifySchedule} onChange={set("verifySchedule")} placeholder="0 6 * * 0" />
            </Field>
            <Field label="Alert when no success for (minutes)" htmlFor="staleAfterMinutes" error={err("staleAfterMinutes")} className="sm:col-span-3">
              <Input id="staleAfterMinutes" value={f.staleAfterMinutes} onChange={set("staleAfterMinutes")} placeholder="1500" />
            </Field>
          </div>
          <Checkbox label="Archive binlogs continuously (point-in-time recovery)" checked={f.binlogArchiving} onChange={set("binlogArchiving")} />
          {f.binlogArchiving && (
            <Field label="Incident: a DELETE/UPDATE changing more rows than" htmlFor="incidentRows" error={err("incidentRows")} hint="in one transaction, on one table; such changes are marked on the timeline." className="max-w-sm">
              <Input id="incidentRows" value={f.incidentRows} onChange={set("incidentRows")} />
            </Field>
          )}
          <Checkbox label="Enabled" checked={f.enabled} onChange={set("enabled")} />
        </CardBody>
      </Card>
      <Card>
        <CardHeader title="Retention" description="A backup is kept when any rule keeps it. The newest backup, the newest verified backup and the base a point-in-time window needs are never pruned." />
        <CardBody className="grid grid-cols-2 gap-4 sm:grid-cols-7">
          <Field label="Keep last" htmlFor="keepLast" className="sm:col-span-1">
            <Input id="keepLast" value={f.keepLast} onChange={set("keepLast")} />
          </Field>
          <Field label="Keep days" htmlFor="keepDays" className="sm:col-span-1">
            <Input id="keepDays" value={f.keepDays} onChange={set("keepDays")} />
          </Field>
          <Field label="GFS daily" htmlFor="daily" className="sm:col-span-1">
            <Input id="daily" value={f.daily} onChange={set("daily")} />
          </Field>
          <Field label="weekly" htmlFor="weekly" className="sm:col-span-1">
            <Input id="weekly" value={f.weekly} onChange={set("weekly")} />
          </Field>
          <Field label="monthly" htmlFor="monthly" className="sm:col-span-1">
            <Input id="monthly" value={f.monthly} onChange={set("monthly")} />
          </Field>
          <Field label="yearly" htmlFor="yearly" className="sm:col-span-1">
            <Input id="yearly" value={f.yearly} onChange={set("yearly")} />
          </Field>
          <Field label="PITR window (days)" htmlFor="pitrDays" className="sm:col-span-1">
            <Input id="pitrDays" value={f.pitrDays} onChange={set("pitrDays")} />
          </Field>
          {err("retention") && <p className="col-span-full text-sm text-red-600">{err("retention")}</p>}
        </CardBody>
      </Card>
      <div className="flex justify-end">
        <Button type="submit" loading={save.isPending}>
          {policy ? "Save policy" : "Create policy"}
        </Button>
      </div>
    </form>
  );
}
