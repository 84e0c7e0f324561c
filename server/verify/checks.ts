export type Check = { name: string; ok: boolean; detail: string; ms: number; skipped?: boolean };

/** Runs one named check, timing it; a thrown error becomes a failed check with its message. */
export async function runCheck(checks: Check[], name: string, fn: () => Promise<string | { detail: string; ok?: boolean; skipped?: boolean }>): Promise<boolean> {
  const t0 = performance.now();
  try {
    const r = await fn();
    const o = typeof r === "string" ? { detail: r } : r;
    checks.push({ name, ok: o.ok ?? true, detail: o.detail, ms: Math.round(performance.now() - t0), ...(o.skipped ? { skipped: true } : {}) });
    return o.ok ?? true;
  } catch (e) {
    checks.push({ name, ok: false, detail: (e as Error).message, ms: Math.round(performance.now() - t0) });
    return false;
  }
}
