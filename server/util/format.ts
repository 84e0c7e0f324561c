/** Human-readable byte sizes (binary units), e.g. 1.5 GiB. */
export function formatBytes(n: number | bigint | null | undefined): string {
  if (n === null || n === undefined) return "—";
  let v = Number(n);
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

/** 1234 ms -> "1.2 s", 75000 -> "1 min 15 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** "3 minutes ago", "in 2 hours". */
export function formatRelative(date: Date | string | null | undefined, now = Date.now()): string {
  if (!date) return "never";
  const t = typeof date === "string" ? Date.parse(date) : date.getTime();
  const diff = Math.round((now - t) / 1000);
  const abs = Math.abs(diff);
  const [n, unit] =
    abs < 60 ? [abs, "second"] : abs < 3600 ? [Math.round(abs / 60), "minute"] : abs < 86400 ? [Math.round(abs / 3600), "hour"] : [Math.round(abs / 86400), "day"];
  const phrase = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return diff >= 0 ? `${phrase} ago` : `in ${phrase}`;
}
