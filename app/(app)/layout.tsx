import Link from "next/link";
import { redirect } from "next/navigation";
import { Sidebar } from "@/components/shell/sidebar";
import { UserMenu } from "@/components/shell/user-menu";
import { UserProvider } from "@/components/shell/user-context";
import { currentUser } from "@/server/auth/session";
import { needsSetup } from "@/server/users/setup";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  if (await needsSetup()) redirect("/setup");
  const user = await currentUser();
  if (!user) redirect("/login");
  return (
    <UserProvider user={user}>
      <div className="flex min-h-screen">
        <aside className="hidden w-56 shrink-0 bg-slate-900 md:block">
          <Link href="/" className="flex h-14 items-center gap-2 px-6 text-white">
            <svg viewBox="0 0 24 24" className="h-6 w-6 text-brand-500" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
              <ellipse cx="12" cy="6" rx="7" ry="3" />
              <path d="M5 6v12c0 1.7 3.1 3 7 3s7-1.3 7-3V6" />
              <path d="M9 13l2 2 4-4" />
            </svg>
            <span className="font-semibold tracking-tight">dbbackup</span>
          </Link>
          <Sidebar />
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <header className="flex h-14 items-center justify-end border-b border-slate-200 bg-white px-6">
            <UserMenu />
          </header>
          <main className="mx-auto w-full max-w-7xl flex-1 px-6 py-6">{children}</main>
        </div>
      </div>
    </UserProvider>
  );
}
