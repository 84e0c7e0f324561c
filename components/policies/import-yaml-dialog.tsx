"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Textarea } from "@/components/ui/field";
import { trpc } from "@/lib/trpc";

const EXAMPLE = `policy:
  name: shop nightly
  host: shop-primary
  target: s3-backups
  schedule: "0 3 * * *"
  timezone: Europe/Berlin
  retention: { keep_last: 7, pitr_days: 3 }
backup:
  engine: auto
  compression: zstd
  binlog: { enabled: true }
`;

/** Imports a policy from the seed's YAML (hosts, targets and keys by name). */
export function ImportYamlDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const [text, setText] = useState("");
  const imp = trpc.policies.importYaml.useMutation({
    onSuccess: async (r) => {
      await utils.policies.invalidate();
      router.push(`/policies/${r.id}`);
    },
  });
  return (
    <Dialog
      open={open}
      onClose={onClose}
      wide
      title="Import a policy from YAML"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={imp.isPending} onClick={() => imp.mutate({ text })}>
            Import
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        <p className="text-sm text-slate-600">The seed's configuration structure, as exported from a policy page. A policy with the same name is updated.</p>
        {imp.error && (
          <Alert tone="error" title="The file has problems">
            <span data-testid="yaml-error">{imp.error.message}</span>
          </Alert>
        )}
        <input
          type="file"
          accept=".yaml,.yml,text/yaml"
          aria-label="YAML file"
          className="text-sm"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (f) setText(await f.text());
          }}
        />
        <Textarea aria-label="YAML" rows={14} value={text} placeholder={EXAMPLE} onChange={(e) => setText(e.target.value)} />
      </div>
    </Dialog>
  );
}
