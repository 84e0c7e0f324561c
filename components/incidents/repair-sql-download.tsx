"use client";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { trpc } from "@/lib/trpc";

/** Downloads a table restore's repair SQL (fetched in chunks through the API, saved as one file). */
export function RepairSqlDownload({ runId }: { runId: string }) {
  const utils = trpc.useUtils();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const parts: Uint8Array[] = [];
      for (let offset = 0; ; ) {
        const c = await utils.incidents.repairSql.fetch({ runId, offset });
        const bytes = Uint8Array.from(atob(c.base64), (ch) => ch.charCodeAt(0));
        parts.push(bytes);
        offset += bytes.length;
        if (c.done || bytes.length === 0) break;
      }
      const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: "application/sql" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `repair-${runId}.sql`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="secondary" loading={busy} onClick={() => void download()} title="SQL that makes the live table(s) equal to the restored copies">
        Download repair SQL
      </Button>
      {error && <span className="text-sm text-red-700">{error}</span>}
    </>
  );
}
