import { Badge } from "@/components/ui/badge";
import { formatDuration } from "@/server/util/format";

type Check = { name: string; ok: boolean; detail: string; ms: number; skipped?: boolean };

/** The checks of one verification, each with its result, what it found, and how long it took. */
export function VerificationChecks({ checks }: { checks: Check[] }) {
  return (
    <ul className="space-y-1.5" data-testid="verification-checks">
      {checks.map((c, i) => (
        <li key={i} className="flex gap-2 text-sm">
          <span className={c.ok ? (c.skipped ? "text-slate-400" : "text-emerald-600") : "text-red-600"} aria-label={c.ok ? "passed" : "failed"}>
            {c.ok ? (c.skipped ? "–" : "✓") : "✗"}
          </span>
          <div className="min-w-0">
            <span className="font-medium text-slate-800">{c.name}</span> <span className="text-xs text-slate-400">{formatDuration(c.ms)}</span>
            <div className={c.ok ? "text-xs text-slate-500" : "text-xs text-red-700"}>{c.detail}</div>
          </div>
        </li>
      ))}
    </ul>
  );
}

export function VerificationResult({ result }: { result: string }) {
  return <Badge tone={result === "passed" ? "green" : "red"}>{result}</Badge>;
}
