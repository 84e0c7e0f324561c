/**
 * Sizes and durations as people write them in a config file: 20971520, "20M", "10MiB", "1G",
 * "1.5GB" (binary multiples, as LVM and the seed's comments use them); "30s", "500ms", "5m", 30.
 */

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** Bytes, or null when the value is not a size. */
export function parseSize(v: unknown): number | null {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(v);
  if (!m) return null;
  const n = Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
  return Number.isSafeInteger(Math.round(n)) ? Math.round(n) : null;
}

/** The shortest exact way to write a size ("20M", "1G", "1536K", "1000"). */
export function formatSize(bytes: number): string {
  for (const [u, f] of [["T", 2 ** 40], ["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  }
  return String(bytes);
}

/** An LVM size for lvcreate -L/-l: 10G, 512M, 1.5T, 20%ORIGIN, 50%FREE, 10%VG. */
export function isLvmSize(v: unknown): v is string {
  return typeof v === "string" && (/^\d+(\.\d+)?[bBsSkKmMgGtTpPeE]?$/.test(v.trim()) || /^\d+%(VG|FREE|ORIGIN|PVS)$/.test(v.trim()));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or null. A bare number is seconds. */
export function parseDuration(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : null;
  if (typeof v !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(v);
  if (!m) return null;
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? "s").toLowerCase()]!);
}

export function formatDurationMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
