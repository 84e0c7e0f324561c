/** Field errors and a message from a tRPC client error, for forms. */
export function formErrors(err: unknown): { message: string | null; fields: Record<string, string> } {
  if (!err) return { message: null, fields: {} };
  const e = err as { message?: string; data?: { fieldErrors?: Record<string, string[]> | null; code?: string } };
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.data?.fieldErrors ?? {})) if (v?.[0]) fields[k] = v[0];
  // zod errors carry a JSON message; show the field errors instead
  const isZod = (e.message ?? "").trim().startsWith("[");
  return { message: isZod ? (Object.keys(fields).length ? "Some fields need attention." : "Invalid input.") : (e.message ?? "Something went wrong."), fields };
}
