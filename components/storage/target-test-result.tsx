"use client";
import { Alert } from "@/components/ui/alert";
import type { RouterOutputs } from "@/lib/trpc";

type Result = RouterOutputs["storage"]["test"];

export function TargetTestResult({ result }: { result: Result }) {
  return (
    <Alert tone={result.ok ? "success" : "error"} title={result.ok ? "Storage works" : "Storage test failed"}>
      <p data-testid={result.ok ? "storage-test-ok" : "storage-test-error"}>{result.message}</p>
      <ol className="mt-2 flex flex-wrap gap-3 text-xs">
        {result.steps.map((s) => (
          <li key={s.step}>
            {s.ok ? "✓" : "✗"} {s.step} <span className="text-slate-500">{s.ms} ms</span>
          </li>
        ))}
      </ol>
    </Alert>
  );
}
