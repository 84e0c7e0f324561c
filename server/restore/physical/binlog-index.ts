import fs from "node:fs/promises";
import path from "node:path";

/**
 * A server started with an absolute --log-bin writes absolute paths into its binlog index. In a
 * restored copy those point at the source's directory, so the index is rewritten to the files
 * that were restored next to it (relative "./name", as a server writes them for a relative
 * --log-bin) and entries whose file is missing are dropped. Returns the binlog basename, if any.
 */
export async function repairBinlogIndex(datadir: string): Promise<string | null> {
  const names = await fs.readdir(datadir);
  const indexes = names.filter((n) => n.endsWith(".index") && names.some((f) => f.startsWith(n.slice(0, -".index".length) + ".") && /\.\d{6}$/.test(f)));
  let basename: string | null = null;
  for (const idx of indexes) {
    const base = idx.slice(0, -".index".length);
    basename ??= base;
    const file = path.join(datadir, idx);
    const lines = (await fs.readFile(file, "utf8")).split("\n").filter((l) => l.trim());
    const kept: string[] = [];
    for (const l of lines) {
      const name = path.basename(l.trim());
      if (names.includes(name)) kept.push(`./${name}`);
    }
    await fs.writeFile(file, kept.map((k) => k + "\n").join(""));
  }
  return basename;
}
