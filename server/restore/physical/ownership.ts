import fs from "node:fs/promises";
import path from "node:path";

/**
 * Gives a restored datadir to the account the server runs as, and makes sure that account can read
 * and write every file (owner rw, directories rwx) and nobody else can write. Only root can
 * change owners; otherwise the files already belong to this process.
 */
export async function fixOwnership(root: string, owner: { uid: number; gid: number } | null): Promise<void> {
  const chown = owner && process.getuid?.() === 0;
  const visit = async (p: string) => {
    const st = await fs.lstat(p);
    if (st.isSymbolicLink()) {
      if (chown) await fs.lchown(p, owner!.uid, owner!.gid);
      return;
    }
    if (chown && (st.uid !== owner!.uid || st.gid !== owner!.gid)) await fs.chown(p, owner!.uid, owner!.gid);
    const want = st.isDirectory() ? (st.mode | 0o700) & ~0o022 & 0o7777 : (st.mode | 0o600) & ~0o022 & 0o7777;
    if ((st.mode & 0o7777) !== want) await fs.chmod(p, want);
    if (st.isDirectory()) for (const n of await fs.readdir(p)) await visit(path.join(p, n));
  };
  await visit(root);
}
