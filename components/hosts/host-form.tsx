"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody } from "@/components/ui/card";
import { Checkbox, Field, Input, Select, Textarea } from "@/components/ui/field";
import { formErrors } from "@/lib/errors";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { ConnectionTestResult } from "./connection-test-result";

type Host = RouterOutputs["hosts"]["get"];

const TLS_HELP: Record<string, string> = {
  disabled: "Plain text. Only on trusted networks or sockets.",
  preferred: "TLS when the server offers it, plain text otherwise.",
  required: "TLS, without verifying the server certificate.",
  "verify-ca": "TLS, certificate signed by the given CA.",
  "verify-identity": "TLS, CA-signed and matching the host name.",
};

export function HostForm({ host }: { host?: Host }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const [f, setF] = useState({
    name: host?.name ?? "",
    host: host?.host ?? "",
    port: String(host?.port ?? 3306),
    socket: host?.socket ?? "",
    user: host?.user ?? "",
    password: "",
    clearPassword: false,
    tlsMode: host?.tlsMode ?? "preferred",
    tlsCa: "",
    environment: host?.environment ?? "",
    labels: (host?.labels ?? []).join(", "),
    isVerificationHost: host?.isVerificationHost ?? false,
    datadir: host?.datadir ?? "",
    archiverServerId: String(host?.archiverServerId ?? 99999),
  });
  const create = trpc.hosts.create.useMutation();
  const update = trpc.hosts.update.useMutation();
  const test = trpc.hosts.testConnection.useMutation();
  const save = host ? update : create;
  const { message, fields } = formErrors(save.error);
  const testErrors = formErrors(test.error);

  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
    setF({ ...f, [k]: e.target.type === "checkbox" ? (e.target as HTMLInputElement).checked : e.target.value });

  const payload = () => ({
    name: f.name,
    host: f.host,
    port: f.port as unknown as number,
    socket: f.socket,
    user: f.user,
    password: f.password,
    tlsMode: f.tlsMode as "preferred",
    tlsCa: f.tlsCa || (host?.hasTlsCa ? undefined : ""),
    environment: f.environment,
    labels: f.labels
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    isVerificationHost: f.isVerificationHost,
    datadir: f.datadir,
    archiverServerId: f.archiverServerId as unknown as number,
  });

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      const saved = host ? await update.mutateAsync({ id: host.id, ...payload(), clearPassword: f.clearPassword }) : await create.mutateAsync(payload());
      await utils.hosts.invalidate();
      router.push(`/hosts/${saved.id}`);
    } catch {
      // shown through save.error
    }
  };

  const err = (k: string) => fields[k] ?? testErrors.fields[k];

  return (
    <form onSubmit={submit} className="space-y-6" noValidate>
      {message && <Alert tone="error">{message}</Alert>}
      <Card>
        <CardBody className="grid grid-cols-1 gap-4 sm:grid-cols-6">
          <Field label="Name" htmlFor="name" error={err("name")} hint="How this host appears in dbbackup, e.g. shop-primary." className="sm:col-span-3">
            <Input id="name" value={f.name} onChange={set("name")} invalid={!!err("name")} />
          </Field>
          <Field label="Environment (optional)" htmlFor="environment" error={err("environment")} hint="Production, staging, ...: shown as a badge. Leave empty if none applies." className="sm:col-span-3">
            <Input id="environment" list="environments" value={f.environment} onChange={set("environment")} placeholder="not set" invalid={!!err("environment")} />
            <datalist id="environments">
              <option value="production" />
              <option value="staging" />
              <option value="development" />
              <option value="test" />
            </datalist>
          </Field>
          <Field label="Host" htmlFor="host" error={err("host")} hint="Name or IP address. Leave empty when using a socket." className="sm:col-span-4">
            <Input id="host" value={f.host} onChange={set("host")} placeholder="db1.example.com" invalid={!!err("host")} />
          </Field>
          <Field label="Port" htmlFor="port" error={err("port")} className="sm:col-span-2">
            <Input id="port" inputMode="numeric" value={f.port} onChange={set("port")} invalid={!!err("port")} />
          </Field>
          <Field label="Socket (optional)" htmlFor="socket" error={err("socket")} hint="Local connections only; overrides host and port." className="sm:col-span-6">
            <Input id="socket" value={f.socket} onChange={set("socket")} placeholder="/run/mysqld/mysqld.sock" invalid={!!err("socket")} />
          </Field>
          <Field label="User" htmlFor="user" error={err("user")} className="sm:col-span-3">
            <Input id="user" autoComplete="off" value={f.user} onChange={set("user")} invalid={!!err("user")} />
          </Field>
          <Field
            label="Password"
            htmlFor="password"
            error={err("password")}
            hint={host?.hasPassword ? "Stored (encrypted). Leave empty to keep it." : "Stored encrypted; never shown again."}
            className="sm:col-span-3"
          >
            <Input id="password" type="password" autoComplete="new-password" value={f.password} onChange={set("password")} invalid={!!err("password")} />
          </Field>
          {host?.hasPassword && (
            <div className="sm:col-span-6">
              <Checkbox label="Remove the stored password" checked={f.clearPassword} onChange={set("clearPassword")} />
            </div>
          )}
          <Field label="TLS" htmlFor="tlsMode" hint={TLS_HELP[f.tlsMode]} error={err("tlsMode")} className="sm:col-span-3">
            <Select id="tlsMode" value={f.tlsMode} onChange={set("tlsMode")}>
              {Object.keys(TLS_HELP).map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Labels" htmlFor="labels" hint="Comma-separated, e.g. eu, shop." className="sm:col-span-3">
            <Input id="labels" value={f.labels} onChange={set("labels")} />
          </Field>
          {(f.tlsMode === "verify-ca" || f.tlsMode === "verify-identity") && (
            <Field label="CA certificate" htmlFor="tlsCa" error={err("tlsCa")} hint={host?.hasTlsCa ? "A CA is stored. Paste a new one to replace it." : "PEM text or a path to a PEM file."} className="sm:col-span-6">
              <Textarea id="tlsCa" rows={4} value={f.tlsCa} onChange={set("tlsCa")} placeholder="-----BEGIN CERTIFICATE-----" invalid={!!err("tlsCa")} />
            </Field>
          )}
        </CardBody>
      </Card>
      <details className="rounded-lg bg-white ring-1 ring-slate-200">
        <summary className="cursor-pointer px-5 py-3 text-sm font-medium text-slate-700">Advanced</summary>
        <div className="grid grid-cols-1 gap-4 px-5 pb-5 sm:grid-cols-6">
          <Field label="Datadir override" htmlFor="datadir" error={err("datadir")} hint="For snapshot and mariabackup engines, when @@datadir is not the path on this machine." className="sm:col-span-4">
            <Input id="datadir" value={f.datadir} onChange={set("datadir")} invalid={!!err("datadir")} />
          </Field>
          <Field label="Archiver server id" htmlFor="archiverServerId" error={err("archiverServerId")} hint="Must differ from every server and replica id." className="sm:col-span-2">
            <Input id="archiverServerId" inputMode="numeric" value={f.archiverServerId} onChange={set("archiverServerId")} invalid={!!err("archiverServerId")} />
          </Field>
          <div className="sm:col-span-6">
            <Checkbox
              label="Verification host"
              hint="Backups of other hosts may be restored here to verify them. Never mark a production server."
              checked={f.isVerificationHost}
              onChange={set("isVerificationHost")}
            />
          </div>
        </div>
      </details>

      {test.data && <ConnectionTestResult result={test.data} />}
      {test.error && <Alert tone="error">{testErrors.message}</Alert>}

      <div className="flex items-center justify-end gap-2">
        <Button
          type="button"
          variant="secondary"
          loading={test.isPending}
          onClick={() => test.mutate({ id: host?.id, host: f.host, port: f.port as unknown as number, socket: f.socket, user: f.user, password: f.password, tlsMode: f.tlsMode as "preferred", tlsCa: f.tlsCa })}
        >
          Test connection
        </Button>
        <Button type="submit" loading={save.isPending}>
          {host ? "Save changes" : "Add host"}
        </Button>
      </div>
    </form>
  );
}
