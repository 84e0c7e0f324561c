"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { cx } from "@/components/ui/cx";
import { useUser } from "./user-context";

type Item = { href: string; label: string; icon: string; min?: "operator" | "admin" };

const NAV: { section?: string; items: Item[] }[] = [
  {
    items: [
      { href: "/", label: "Overview", icon: "M3 12l9-8 9 8M5 10v10h14V10" },
      { href: "/hosts", label: "Hosts", icon: "M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3Zm0 0v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3" },
      { href: "/backups", label: "Backups", icon: "M4 7h16M4 7l2-3h12l2 3M4 7v12h16V7M9 12h6" },
      { href: "/runs", label: "Runs", icon: "M5 4l14 8-14 8V4Z" },
      { href: "/policies", label: "Policies", icon: "M12 8v4l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z" },
      { href: "/verifications", label: "Verifications", icon: "M9 12l2 2 4-4M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z" },
    ],
  },
  {
    section: "Settings",
    items: [
      { href: "/agents", label: "Agents", icon: "M4 5h16v10H4zM8 19h8M12 15v4M8 9h.01M12 9h4" },
      { href: "/storage", label: "Storage", icon: "M3 15a4 4 0 0 0 4 4h10a4 4 0 0 0 .9-7.9A6 6 0 0 0 6.3 9.6 4 4 0 0 0 3 15Z" },
      { href: "/keys", label: "Encryption keys", icon: "M15 7a2 2 0 1 1 0 4 2 2 0 0 1 0-4Zm-4 4-7 7v3h3l7-7M7 17l2 2" },
      { href: "/notifications", label: "Notifications", icon: "M15 17h5l-1.4-1.4A2 2 0 0 1 18 14.2V11a6 6 0 1 0-12 0v3.2c0 .5-.2 1-.6 1.4L4 17h5m6 0a3 3 0 1 1-6 0" },
      { href: "/users", label: "Users", icon: "M16 11a4 4 0 1 0-8 0 4 4 0 0 0 8 0ZM4 21a8 8 0 0 1 16 0", min: "admin" },
      { href: "/audit", label: "Audit log", icon: "M9 5h10M9 12h10M9 19h10M5 5h.01M5 12h.01M5 19h.01" },
    ],
  },
];

export function Sidebar() {
  const pathname = usePathname();
  const { can } = useUser();
  const exists = (href: string) => ENABLED.has(href);
  return (
    <nav className="flex flex-col gap-6 px-3 py-4" aria-label="Main">
      {NAV.map((group, i) => (
        <div key={i}>
          {group.section && <div className="mb-1 px-3 text-xs font-semibold uppercase tracking-wide text-slate-400">{group.section}</div>}
          <ul className="space-y-0.5">
            {group.items
              .filter((it) => (!it.min || can(it.min)) && exists(it.href))
              .map((it) => {
                const active = it.href === "/" ? pathname === "/" : pathname === it.href || pathname.startsWith(it.href + "/");
                return (
                  <li key={it.href}>
                    <Link
                      href={it.href}
                      className={cx(
                        "flex items-center gap-3 rounded-md px-3 py-1.5 text-sm font-medium",
                        active ? "bg-slate-800 text-white" : "text-slate-300 hover:bg-slate-800/60 hover:text-white",
                      )}
                      aria-current={active ? "page" : undefined}
                    >
                      <svg viewBox="0 0 24 24" className="h-4 w-4 shrink-0" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
                        <path d={it.icon} />
                      </svg>
                      {it.label}
                    </Link>
                  </li>
                );
              })}
          </ul>
        </div>
      ))}
    </nav>
  );
}

/** Pages that exist in this build; later features add theirs here. */
export const ENABLED = new Set(["/", "/hosts", "/backups", "/runs", "/policies", "/verifications", "/agents", "/storage", "/keys", "/notifications", "/users", "/audit"]);
