import { cx } from "./cx";

const TONES = {
  error: "bg-red-50 text-red-800 ring-red-200",
  warning: "bg-amber-50 text-amber-900 ring-amber-200",
  success: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  info: "bg-blue-50 text-blue-800 ring-blue-200",
};

export function Alert({ tone = "info", title, children, className }: { tone?: keyof typeof TONES; title?: React.ReactNode; children?: React.ReactNode; className?: string }) {
  return (
    <div role={tone === "error" ? "alert" : "status"} className={cx("rounded-md px-4 py-3 text-sm ring-1 ring-inset", TONES[tone], className)}>
      {title && <div className="font-medium">{title}</div>}
      {children && <div className={cx(!!title && "mt-1", "break-words")}>{children}</div>}
    </div>
  );
}
