"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Textarea } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { formErrors } from "@/lib/errors";
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
  const { fields } = formErrors(imp.error);
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      wide
      title="Import a policy from YAML"
      description="The seed's configuration structure, as exported from a policy page. A policy with the same name is updated."
      mutation={imp}
      closeOnSuccess={false}
      submitLabel="Import"
      onSubmit={() => imp.mutateAsync({ text })}
      errorTitle="The file has problems"
      errorTestId="yaml-error"
    >
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
      <div>
        <Textarea aria-label="YAML" rows={14} value={text} placeholder={EXAMPLE} onChange={(e) => setText(e.target.value)} invalid={!!fields.text} />
        {fields.text && <p className="mt-1 text-sm text-red-600">{fields.text}</p>}
      </div>
    </FormDialog>
  );
}
