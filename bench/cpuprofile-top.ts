// Self time by function of a `node --cpu-prof` profile, and who calls one of them (profiling aid):
//   node --cpu-prof --cpu-prof-dir=/tmp/p node_modules/.cache/dbbackup-cli/cli.mjs physical-backup ...
//   npx tsx bench/cpuprofile-top.ts /tmp/p/CPU.*.cpuprofile [N]          the top N functions
//   npx tsx bench/cpuprofile-top.ts /tmp/p/CPU.*.cpuprofile --callers NAME  NAME's callers, 5 deep
import fs from "node:fs";

type Frame = { functionName: string; url: string; lineNumber: number };
type Node = { id: number; callFrame: Frame; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const [file, a, b] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: cpuprofile-top.ts FILE.cpuprofile [N | --callers NAME]\n");
  process.exit(2);
}
const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const timeOf = new Map<number, number>();
p.samples.forEach((id, i) => timeOf.set(id, (timeOf.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const label = (f: Frame) => `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
const add = (m: Map<string, number>, k: string, t: number) => m.set(k, (m.get(k) ?? 0) + t);
const total = [...timeOf.values()].reduce((s, t) => s + t, 0);
const out = new Map<string, number>();
if (a === "--callers") {
  for (const [id, t] of timeOf) {
    if (byId.get(id)!.callFrame.functionName !== b) continue;
    const chain: string[] = [];
    for (let q = parent.get(id), d = 0; q !== undefined && d < 5; q = parent.get(q), d++) chain.push(label(byId.get(q)!.callFrame));
    add(out, chain.join(" < "), t);
  }
} else for (const [id, t] of timeOf) add(out, label(byId.get(id)!.callFrame), t);
console.log(`${(total / 1e6).toFixed(2)} s sampled`);
for (const [k, t] of [...out].sort((x, y) => y[1] - x[1]).slice(0, a === "--callers" ? 8 : Number(a ?? 25)))
  console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1e6).toFixed(2).padStart(6)} s  ${k}`);
