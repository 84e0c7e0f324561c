import { cx } from "./cx";

/** A progress bar; `value` in 0..1, or null for an indeterminate bar. */
export function ProgressBar({ value, tone = "brand", label, className }: { value: number | null; tone?: "brand" | "green" | "red" | "gray"; label?: string; className?: string }) {
  const color = { brand: "bg-brand-500", green: "bg-emerald-500", red: "bg-red-500", gray: "bg-slate-400" }[tone];
  const pct = value === null ? null : Math.max(0, Math.min(1, value)) * 100;
  return (
    <div
      className={cx("h-2 w-full overflow-hidden rounded-full bg-slate-200", className)}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === null ? undefined : Math.round(pct)}
    >
      {pct === null ? (
        <div className={cx("h-full w-1/3 animate-pulse rounded-full", color)} />
      ) : (
        <div className={cx("h-full rounded-full transition-[width] duration-500", color)} style={{ width: `${pct}%` }} />
      )}
    </div>
  );
}
