"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody } from "@/components/ui/card";
import { Checkbox, Field, Input, Select } from "@/components/ui/field";
import { cx } from "@/components/ui/cx";
import { formErrors } from "@/lib/errors";
import { trpc, type RouterInputs, type RouterOutputs } from "@/lib/trpc";
import { TargetTestResult } from "./target-test-result";

type Target = RouterOutputs["storage"]["get"];
type Input = RouterInputs["storage"]["create"];

export function TargetForm({ target }: { target?: Target }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const [kind, setKind] = useState<"local" | "s3">((target?.kind as "local" | "s3") ?? "local");
  const [f, setF] = useState({
    name: target?.name ?? "",
    path: target?.path ?? "",
    endpoint: target?.endpoint ?? "",
    region: target?.region ?? "us-east-1",
    bucket: target?.bucket ?? "",
    prefix: target?.prefix ?? "",
    forcePathStyle: target?.forcePathStyle ?? false,
    accessKeyId: target?.accessKeyId ?? "",
    secretAccessKey: "",
    sse: target?.sse ?? "none",
    kmsKeyId: target?.kmsKeyId ?? "",
    partSize: String(target?.partSize ?? 10485760),
    workers: String(target?.workers ?? 4),
  });
  const create = trpc.storage.create.useMutation();
  const update = trpc.storage.update.useMutation();
  const test = trpc.storage.testDraft.useMutation();
  const save = target ? update : create;
  const { message, fields } = formErrors(save.error ?? test.error);
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setF({ ...f, [k]: e.target.type === "checkbox" ? (e.target as HTMLInputElement).checked : e.target.value });

  const payload = (): Input =>
    kind === "local"
      ? { kind: "local", name: f.name, path: f.path }
      : {
          kind: "s3",
          name: f.name,
          endpoint: f.endpoint,
          region: f.region,
          bucket: f.bucket,
          prefix: f.prefix,
          forcePathStyle: f.forcePathStyle,
          accessKeyId: f.accessKeyId,
          secretAccessKey: f.secretAccessKey,
          sse: f.sse as "none",
          kmsKeyId: f.kmsKeyId,
          partSize: f.partSize as unknown as number,
          workers: f.workers as unknown as number,
        };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      if (target) await update.mutateAsync({ id: target.id, target: payload() });
      else await create.mutateAsync(payload());
      await utils.storage.invalidate();
      router.push("/storage");
    } catch {
      // shown below
    }
  };
  const err = (k: string) => fields[k] ?? fields[`target.${k}`];

  return (
    <form onSubmit={submit} className="space-y-6" noValidate>
      {message && <Alert tone="error">{message}</Alert>}
      <Card>
        <CardBody className="space-y-4">
          <div className="flex gap-2" role="radiogroup" aria-label="Kind">
            {(["local", "s3"] as const).map((k) => (
              <button
                key={k}
                type="button"
                role="radio"
                aria-checked={kind === k}
                onClick={() => setKind(k)}
                className={cx("flex-1 rounded-md px-4 py-3 text-left text-sm ring-1", kind === k ? "bg-brand-50 ring-brand-500" : "ring-slate-200 hover:bg-slate-50")}
              >
                <div className="font-medium">{k === "local" ? "Local directory" : "S3 or S3-compatible"}</div>
                <div className="text-xs text-slate-500">{k === "local" ? "A directory on the machine dbbackup runs on (or a mounted share)." : "AWS S3, MinIO, Ceph, R2, ... streamed by parallel multipart upload."}</div>
              </button>
            ))}
          </div>
          <Field label="Name" htmlFor="name" error={err("name")}>
            <Input id="name" value={f.name} onChange={set("name")} invalid={!!err("name")} />
          </Field>
          {kind === "local" ? (
            <Field label="Directory" htmlFor="path" error={err("path")} hint="Absolute path; created if missing.">
              <Input id="path" value={f.path} onChange={set("path")} placeholder="/var/backups/dbbackup" invalid={!!err("path")} />
            </Field>
          ) : (
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-6">
              <Field label="Endpoint" htmlFor="endpoint" error={err("endpoint")} hint="Empty for AWS." className="sm:col-span-4">
                <Input id="endpoint" value={f.endpoint} onChange={set("endpoint")} placeholder="https://s3.example.com" invalid={!!err("endpoint")} />
              </Field>
              <Field label="Region" htmlFor="region" error={err("region")} className="sm:col-span-2">
                <Input id="region" value={f.region} onChange={set("region")} invalid={!!err("region")} />
              </Field>
              <Field label="Bucket" htmlFor="bucket" error={err("bucket")} className="sm:col-span-3">
                <Input id="bucket" value={f.bucket} onChange={set("bucket")} invalid={!!err("bucket")} />
              </Field>
              <Field label="Prefix" htmlFor="prefix" error={err("prefix")} hint="e.g. backups/" className="sm:col-span-3">
                <Input id="prefix" value={f.prefix} onChange={set("prefix")} invalid={!!err("prefix")} />
              </Field>
              <Field label="Access key id" htmlFor="accessKeyId" error={err("accessKeyId")} hint="Empty to use the machine's AWS credentials." className="sm:col-span-3">
                <Input id="accessKeyId" autoComplete="off" value={f.accessKeyId} onChange={set("accessKeyId")} invalid={!!err("accessKeyId")} />
              </Field>
              <Field
                label="Secret access key"
                htmlFor="secretAccessKey"
                error={err("secretAccessKey")}
                hint={target?.hasSecret ? "Stored (encrypted). Leave empty to keep it." : "Stored encrypted; never shown again."}
                className="sm:col-span-3"
              >
                <Input id="secretAccessKey" type="password" autoComplete="new-password" value={f.secretAccessKey} onChange={set("secretAccessKey")} invalid={!!err("secretAccessKey")} />
              </Field>
              <Field label="Server-side encryption" htmlFor="sse" className="sm:col-span-2">
                <Select id="sse" value={f.sse} onChange={set("sse")}>
                  <option value="none">none</option>
                  <option value="AES256">AES256</option>
                  <option value="aws:kms">aws:kms</option>
                </Select>
              </Field>
              <Field label="Part size (bytes)" htmlFor="partSize" error={err("partSize")} className="sm:col-span-2">
                <Input id="partSize" inputMode="numeric" value={f.partSize} onChange={set("partSize")} invalid={!!err("partSize")} />
              </Field>
              <Field label="Upload workers" htmlFor="workers" error={err("workers")} className="sm:col-span-2">
                <Input id="workers" inputMode="numeric" value={f.workers} onChange={set("workers")} invalid={!!err("workers")} />
              </Field>
              {f.sse === "aws:kms" && (
                <Field label="KMS key id" htmlFor="kmsKeyId" hint="Empty for the account's default key." className="sm:col-span-6">
                  <Input id="kmsKeyId" value={f.kmsKeyId} onChange={set("kmsKeyId")} />
                </Field>
              )}
              <div className="sm:col-span-6">
                <Checkbox label="Path-style addressing" hint="Needed by most S3-compatible servers (MinIO, Ceph)." checked={f.forcePathStyle} onChange={set("forcePathStyle")} />
              </div>
            </div>
          )}
        </CardBody>
      </Card>
      {test.data && <TargetTestResult result={test.data} />}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" loading={test.isPending} onClick={() => test.mutate({ id: target?.id, target: payload() })}>
          Test
        </Button>
        <Button type="submit" loading={save.isPending}>
          {target ? "Save changes" : "Add target"}
        </Button>
      </div>
    </form>
  );
}
