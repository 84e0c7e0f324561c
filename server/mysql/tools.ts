import fs from "node:fs";
import path from "node:path";

/** The first executable named `name` on PATH (plus the sbin directories tools often live in), or null. */
export function findTool(...names: string[]): string | null {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const name of names) {
    for (const d of dirs) {
      if (!d) continue;
      const p = path.join(d, name);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}
