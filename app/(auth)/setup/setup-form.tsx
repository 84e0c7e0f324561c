"use client";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { formErrors } from "@/lib/errors";
import { trpc } from "@/lib/trpc";

export function SetupForm() {
  const router = useRouter();
  const [form, setForm] = useState({ email: "", name: "", password: "", confirm: "" });
  const [mismatch, setMismatch] = useState(false);
  const create = trpc.setup.createFirstAdmin.useMutation();
  const { message, fields } = formErrors(create.error);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (form.password !== form.confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    await create.mutateAsync({ email: form.email, name: form.name, password: form.password }).catch(() => undefined);
    const res = await signIn("credentials", { redirect: false, email: form.email, password: form.password });
    if (res && !res.error) {
      router.replace("/");
      router.refresh();
    }
  };
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });
  return (
    <Card>
      <CardBody className="py-6">
        <h1 className="text-lg font-semibold">Create the first admin</h1>
        <p className="mb-4 mt-1 text-sm text-slate-500">This account manages users, hosts and storage. You can add operators and viewers next.</p>
        <form onSubmit={submit} className="space-y-4">
          {message && <Alert tone="error">{message}</Alert>}
          <Field label="Email" htmlFor="email" error={fields.email}>
            <Input id="email" type="email" autoComplete="username" required value={form.email} onChange={set("email")} invalid={!!fields.email} />
          </Field>
          <Field label="Name" htmlFor="name" error={fields.name}>
            <Input id="name" value={form.name} onChange={set("name")} />
          </Field>
          <Field label="Password" htmlFor="password" hint="At least 10 characters." error={fields.password}>
            <Input id="password" type="password" autoComplete="new-password" required value={form.password} onChange={set("password")} invalid={!!fields.password} />
          </Field>
          <Field label="Confirm password" htmlFor="confirm" error={mismatch ? "The passwords do not match." : undefined}>
            <Input id="confirm" type="password" autoComplete="new-password" required value={form.confirm} onChange={set("confirm")} invalid={mismatch} />
          </Field>
          <Button type="submit" className="w-full" loading={create.isPending}>
            Create admin and sign in
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}
