import fs from "node:fs/promises";
import path from "node:path";
import type { ServerAddress } from "../../mysql/connection-options";

/** A value for a MySQL option file: quoted, with backslashes and quotes escaped. */
function optionValue(v: string): string {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * Writes the connection settings for mariadb-backup / xtrabackup into `<dir>/client.cnf` with mode
 * 0600, so the password never appears on a command line (where `ps` shows it to every user).
 * Passed as --defaults-file, it is the only option file the tool reads.
 */
export async function writeDefaultsFile(dir: string, a: ServerAddress): Promise<string> {
  const lines = ["[client]", `user=${optionValue(a.user)}`];
  if (a.password) lines.push(`password=${optionValue(a.password)}`);
  if (a.socket) lines.push(`socket=${optionValue(a.socket)}`);
  else {
    lines.push(`host=${optionValue(a.host || "127.0.0.1")}`, `port=${a.port ?? 3306}`);
  }
  const file = path.join(dir, "client.cnf");
  const fh = await fs.open(file, "wx", 0o600);
  try {
    await fh.writeFile(lines.join("\n") + "\n");
  } finally {
    await fh.close();
  }
  return file;
}
