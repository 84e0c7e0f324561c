"use client";
import Link from "next/link";
import { cx } from "./cx";

/** Tabs as links (so each tab has a URL and the back button works). */
export function Tabs({ tabs, active }: { tabs: { key: string; label: React.ReactNode; href: string }[]; active: string }) {
  return (
    <div className="mb-6 border-b border-slate-200">
      <nav className="-mb-px flex gap-6" aria-label="Tabs">
        {tabs.map((t) => (
          <Link
            key={t.key}
            href={t.href}
            aria-current={t.key === active ? "page" : undefined}
            className={cx(
              "whitespace-nowrap border-b-2 px-1 pb-2.5 text-sm font-medium",
              t.key === active ? "border-brand-600 text-brand-700" : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-700",
            )}
          >
            {t.label}
          </Link>
        ))}
      </nav>
    </div>
  );
}
