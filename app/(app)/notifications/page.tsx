"use client";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Checkbox, Field, Input, Select } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { PageHeader } from "@/components/ui/page-header";
import { formErrors } from "@/lib/errors";
import { trpc } from "@/lib/trpc";
import { formatRelative } from "@/server/util/format";

const EVENTS = [
  { key: "failure", label: "Failures" },
  { key: "verify-failure", label: "Verification failures" },
  { key: "stale", label: "Stale (no success within the policy's window)" },
  { key: "success", label: "Successes" },
  { key: "agent-offline", label: "Runner agent offline (no heartbeat for 60 s)" },
] as const;

function AddChannel({ open, onClose }: { open: boolean; onClose: () => void }) {
  const utils = trpc.useUtils();
  const [kind, setKind] = useState<"webhook" | "slack" | "email">("webhook");
  const [f, setF] = useState({ name: "", url: "", secret: "", host: "", port: "587", secure: false, user: "", password: "", from: "", to: "" });
  const [events, setEvents] = useState<string[]>(["failure", "verify-failure", "stale"]);
  const create = trpc.notifications.create.useMutation({ onSuccess: () => utils.notifications.list.invalidate() });
  const { fields } = formErrors(create.error);
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  const config =
    kind === "email"
      ? { kind, host: f.host, port: Number(f.port), secure: f.secure, user: f.user || undefined, password: f.password || undefined, from: f.from, to: f.to }
      : kind === "slack"
        ? { kind, url: f.url }
        : { kind, url: f.url, secret: f.secret || undefined };
  const err = (k: string) => fields[`config.${k}`] ?? fields[k];
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title="Add a notification channel"
      mutation={create}
      onSubmit={() => create.mutateAsync({ name: f.name, config: config as never, events: events as never, enabled: true })}
      submitLabel="Add channel"
    >
      <div className="grid grid-cols-2 gap-4">
        <Field label="Name" htmlFor="ch-name" error={err("name")}>
          <Input id="ch-name" value={f.name} onChange={set("name")} />
        </Field>
        <Field label="Kind" htmlFor="ch-kind">
          <Select id="ch-kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
            <option value="webhook">Webhook (JSON)</option>
            <option value="slack">Slack-compatible webhook</option>
            <option value="email">Email (SMTP)</option>
          </Select>
        </Field>
      </div>
      {kind !== "email" ? (
        <>
          <Field label="URL" htmlFor="ch-url" error={err("url")}>
            <Input id="ch-url" value={f.url} onChange={set("url")} placeholder="https://hooks.example.com/…" />
          </Field>
          {kind === "webhook" && (
            <Field label="Signing secret (optional)" htmlFor="ch-secret" hint="Requests carry X-Dbbackup-Signature: sha256=HMAC(secret, body).">
              <Input id="ch-secret" type="password" value={f.secret} onChange={set("secret")} />
            </Field>
          )}
        </>
      ) : (
        <div className="grid grid-cols-2 gap-4">
          <Field label="SMTP server" htmlFor="ch-host" error={err("host")}>
            <Input id="ch-host" value={f.host} onChange={set("host")} />
          </Field>
          <Field label="Port" htmlFor="ch-port" error={err("port")}>
            <Input id="ch-port" value={f.port} onChange={set("port")} />
          </Field>
          <Field label="User" htmlFor="ch-user">
            <Input id="ch-user" value={f.user} onChange={set("user")} />
          </Field>
          <Field label="Password" htmlFor="ch-password">
            <Input id="ch-password" type="password" value={f.password} onChange={set("password")} />
          </Field>
          <Field label="From" htmlFor="ch-from" error={err("from")}>
            <Input id="ch-from" value={f.from} onChange={set("from")} />
          </Field>
          <Field label="To" htmlFor="ch-to" error={err("to")} hint="Comma-separated.">
            <Input id="ch-to" value={f.to} onChange={set("to")} />
          </Field>
          <Checkbox label="TLS from the start (port 465)" checked={f.secure} onChange={set("secure")} />
        </div>
      )}
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Send on</legend>
        <div className="mt-1 space-y-1">
          {EVENTS.map((e) => (
            <Checkbox key={e.key} label={e.label} checked={events.includes(e.key)} onChange={(ev) => setEvents(ev.target.checked ? [...events, e.key] : events.filter((x) => x !== e.key))} />
          ))}
        </div>
        {err("events") && <p className="mt-1 text-sm text-red-600">{err("events")}</p>}
      </fieldset>
    </FormDialog>
  );
}

/** Each channel row's own "Send test": its own pending state and its own result under the row. */
function useChannelTest() {
  const utils = trpc.useUtils();
  return trpc.notifications.test.useMutation({ onSettled: () => utils.notifications.list.invalidate() });
}

export default function NotificationsPage() {
  const { can } = useUser();
  const utils = trpc.useUtils();
  const q = trpc.notifications.list.useQuery();
  const toggle = trpc.notifications.setEnabled.useMutation({ onSettled: () => utils.notifications.list.invalidate() });
  const del = trpc.notifications.delete.useMutation({ onSettled: () => utils.notifications.list.invalidate() });
  const [adding, setAdding] = useState(false);
  return (
    <>
      <PageHeader title="Notifications" description="Where failures, stale policies and failed verifications are reported." actions={can("admin") && <Button onClick={() => setAdding(true)}>Add channel</Button>} />
      <Card>
        <DataTable
          query={q}
          rowKey={(c) => c.id}
          useRow={useChannelTest}
          detail={(_c, test) =>
            test.data ? (
              <Alert tone={test.data.ok ? "success" : "error"}>
                <span data-testid="notify-test-result">{test.data.message}</span>
              </Alert>
            ) : test.error ? (
              <Alert tone="error">{test.error.message}</Alert>
            ) : null
          }
          empty={
            <EmptyState title="No channels" action={can("admin") && <Button onClick={() => setAdding(true)}>Add a channel</Button>}>
              Add a webhook, a Slack-compatible hook or an SMTP server so failures reach someone.
            </EmptyState>
          }
          columns={[
            {
              header: "Channel",
              cell: (c) => (
                <>
                  <span className="font-medium">{c.name}</span> <Badge>{c.kind}</Badge> {!c.enabled && <Badge tone="amber">off</Badge>}
                </>
              ),
            },
            { header: "Sends to", className: "font-mono text-xs", cell: (c) => c.target },
            { header: "Events", className: "text-xs", cell: (c) => c.events.join(", ") },
            {
              header: "Last delivery",
              className: "text-xs",
              cell: (c) =>
                c.lastError ? (
                  <span className="text-red-700" title={c.lastError}>
                    failed: {c.lastError.slice(0, 60)}
                  </span>
                ) : (
                  formatRelative(c.lastSentAt)
                ),
            },
            {
              className: "whitespace-nowrap text-right",
              cell: (c, test) => (
                <>
                  {can("operator") && (
                    <Button size="sm" variant="secondary" loading={test.isPending} onClick={() => test.mutate({ id: c.id })}>
                      Send test
                    </Button>
                  )}
                  {can("admin") && (
                    <>
                      <Button size="sm" variant="ghost" onClick={() => toggle.mutate({ id: c.id, enabled: !c.enabled })}>
                        {c.enabled ? "Disable" : "Enable"}
                      </Button>
                      <Button size="sm" variant="ghost" onClick={() => confirm(`Delete channel ${c.name}?`) && del.mutate({ id: c.id })}>
                        Delete
                      </Button>
                    </>
                  )}
                </>
              ),
            },
          ]}
        />
      </Card>
      <AddChannel open={adding} onClose={() => setAdding(false)} />
    </>
  );
}
