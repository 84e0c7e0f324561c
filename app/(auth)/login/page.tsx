import { redirect } from "next/navigation";
import { currentUser } from "@/server/auth/session";
import { needsSetup } from "@/server/users/setup";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in" };

export default async function LoginPage() {
  if (await needsSetup()) redirect("/setup");
  if (await currentUser()) redirect("/");
  return <LoginForm />;
}
