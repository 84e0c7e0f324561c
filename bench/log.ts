// Progress lines on stderr (stdout carries the final table only).
const t0 = Date.now();

export function log(msg: string) {
  const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`[bench ${s}s] ${msg}\n`);
}

export function mb(bytes: number, digits = 1): string {
  return (bytes / 1e6).toFixed(digits);
}
