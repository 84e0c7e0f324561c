// The datadir archive: streamed tar with modes, symlinks and long names; extraction refuses
// entries that would escape the restore directory.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packDirectory } from "../../server/engines/snapshot/tar-directory";
import { extractTar } from "../../server/restore/physical/extract-tar";

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-tar-unit-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function collect(s: PassThrough): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe("datadir tar", () => {
  it("round-trips files, empty files, modes, mtimes, symlinks and names over 100 characters", async () => {
    const src = path.join(dir, "src");
    const long = "d".repeat(120);
    await fs.mkdir(path.join(src, "shop", long), { recursive: true });
    const big = crypto.randomBytes(3 * 1024 * 1024 + 17);
    await fs.writeFile(path.join(src, "ibdata1"), big);
    await fs.writeFile(path.join(src, "shop", "orders.ibd"), "rows");
    await fs.writeFile(path.join(src, "shop", long, "t".repeat(90) + ".frm"), "x");
    await fs.writeFile(path.join(src, "empty"), "");
    await fs.chmod(path.join(src, "shop", "orders.ibd"), 0o640);
    await fs.symlink("../ibdata1", path.join(src, "shop", "link"));
    const when = new Date("2026-01-02T03:04:05Z");
    await fs.utimes(path.join(src, "ibdata1"), when, when);

    const out = new PassThrough();
    const bytes = collect(out);
    let seen = 0;
    const r = await packDirectory(src, out, { onBytes: (n) => (seen += n) });
    const archive = await bytes;
    expect(r).toEqual({ files: 4, directories: 2, bytes: big.length + 4 + 1 });
    expect(seen).toBe(r.bytes);

    const dst = path.join(dir, "dst");
    const x = await extractTar(Readable.from([archive]), dst);
    expect(x.bytes).toBe(r.bytes);
    expect((await fs.readFile(path.join(dst, "ibdata1"))).equals(big)).toBe(true);
    expect((await fs.stat(path.join(dst, "shop", "orders.ibd"))).mode & 0o777).toBe(0o640);
    expect((await fs.stat(path.join(dst, "ibdata1"))).mtime.toISOString()).toBe(when.toISOString());
    expect(await fs.readlink(path.join(dst, "shop", "link"))).toBe("../ibdata1");
    expect(await fs.readFile(path.join(dst, "shop", long, "t".repeat(90) + ".frm"), "utf8")).toBe("x");
    expect((await fs.stat(path.join(dst, "empty"))).size).toBe(0);
  });

  it("refuses an entry that points outside the restore directory", async () => {
    const pack = tar.pack();
    pack.entry({ name: "ok.txt" }, "fine");
    pack.entry({ name: "../../evil.txt" }, "nope");
    pack.finalize();
    const parts: Buffer[] = [];
    for await (const c of pack as unknown as AsyncIterable<Buffer>) parts.push(c);
    await expect(extractTar(Readable.from([Buffer.concat(parts)]), path.join(dir, "evil"))).rejects.toThrow(/points outside the restore directory/);
    await expect(fs.access(path.join(dir, "evil.txt"))).rejects.toThrow();
  });

  it("cancelling stops the archive with the cancellation reason", async () => {
    const src = path.join(dir, "cancel");
    await fs.mkdir(src);
    for (let i = 0; i < 20; i++) await fs.writeFile(path.join(src, `f${i}`), crypto.randomBytes(256 * 1024));
    const ac = new AbortController();
    const out = new PassThrough({ highWaterMark: 1024 });
    let n = 0;
    out.on("data", () => {
      if (++n === 3) ac.abort(new Error("stop here"));
    });
    await expect(packDirectory(src, out, { signal: ac.signal })).rejects.toThrow(/stop here/);
  });
});
