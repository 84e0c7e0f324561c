"use client";
import Link from "next/link";
import { signOut } from "next-auth/react";
import { Badge } from "@/components/ui/badge";
import { useUser } from "./user-context";

export function UserMenu() {
  const { user } = useUser();
  return (
    <div className="flex items-center gap-3 text-sm">
      <Link href="/account" className="text-slate-600 hover:text-slate-900" data-testid="current-user">
        {user.email}
      </Link>
      <Badge tone={user.role === "admin" ? "violet" : user.role === "operator" ? "blue" : "gray"}>{user.role}</Badge>
      <button type="button" className="rounded-md px-2 py-1 text-slate-600 hover:bg-slate-100 hover:text-slate-900" onClick={() => signOut({ callbackUrl: "/login" })}>
        Sign out
      </button>
    </div>
  );
}
