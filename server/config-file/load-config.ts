import fs from "node:fs";
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { DomainError } from "../errors";
import { configFileSchema, MOVED_SECTIONS, type ConfigFile } from "./schema";

export type ConfigIssue = { path: string; message: string; line: number | null };

/** "backup.binlog.targets[1].path" */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out;
}

/** The object keys a schema accepts at a path (for "did you mean"), or [] when it cannot tell. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType; options?: z.ZodType[] };
  const unwrap = (s: z.ZodType): z.ZodType => {
    const d = (s as unknown as { def: Def }).def;
    if (d.innerType) return unwrap(d.innerType);
    if (d.type === "pipe" && d.in) return unwrap(d.in);
    return s;
  };
  let cur = unwrap(schema);
  for (const p of path) {
    const d = (cur as unknown as { def: Def }).def;
    if (typeof p === "number" && d.element) cur = unwrap(d.element);
    else if (d.shape && typeof p === "string" && d.shape[p]) cur = unwrap(d.shape[p]);
    else return [];
  }
  const d = (cur as unknown as { def: Def }).def;
  if (d.shape) return Object.keys(d.shape);
  if (d.options) return [...new Set(d.options.flatMap((o) => Object.keys((unwrap(o) as unknown as { def: Def }).def.shape ?? {})))];
  return [];
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function suggestion(key: string, known: string[]): string {
  const close = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  if (close && close.d <= Math.max(2, Math.floor(key.length / 3))) return ` (did you mean ${close.k}?)`;
  return known.length ? ` (known keys: ${known.join(", ")})` : "";
}

/** Line of the YAML node at path (or of its key, for a key that should not be there). */
function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[], key?: string): number | null {
  const parts = path.map((p) => (typeof p === "symbol" ? String(p) : p)) as (string | number)[];
  for (let n = parts.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(parts.slice(0, n), true);
    if (!node || typeof node !== "object") continue;
    if (key !== undefined && n === parts.length && isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === key);
      const r = pair && isScalar(pair.key) ? pair.key.range : null;
      if (r) return lc.linePos(r[0]).line;
    }
    const r = (node as { range?: [number, number, number] }).range;
    if (r) return lc.linePos(r[0]).line;
  }
  return null;
}

/**
 * Parses and validates a configuration (YAML text). Every problem is reported with its key path:
 * `config.yaml: backup.snapshot.lvm.snapshot_size: "10X" is not a size like 10G (line 14)`.
 */
export function parseConfigText(text: string, file = "config.yaml"): ConfigFile {
  const { value, issues } = checkConfigText(text);
  if (issues.length) throw configError(file, issues);
  return value!;
}

/** Like parseConfigText, but returns the problems instead of throwing. */
export function checkConfigText(text: string): { value: ConfigFile | null; issues: ConfigIssue[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    return { value: null, issues: doc.errors.map((e) => ({ path: "", message: `not valid YAML: ${e.message.split("\n")[0]}`, line: e.linePos?.[0]?.line ?? null })) };
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) return { value: null, issues: [{ path: "", message: "should be a mapping of sections (connection, backup, ...)", line: 1 }] };
  const issues: ConfigIssue[] = [];
  for (const [k, where] of Object.entries(MOVED_SECTIONS)) {
    if (k in raw) {
      issues.push({ path: k, message: `belongs under backup: (write it as ${where})`, line: lineOf(doc, lc, [], k) });
      delete (raw as Record<string, unknown>)[k];
    }
  }
  const r = configFileSchema.safeParse(raw);
  if (!r.success) {
    for (const i of r.error.issues) {
      if (i.code === "unrecognized_keys") {
        for (const k of i.keys) issues.push({ path: keyPath([...i.path, k]), message: `unknown key${suggestion(k, knownKeys(configFileSchema, i.path))}`, line: lineOf(doc, lc, i.path, k) });
      } else {
        issues.push({ path: keyPath(i.path), message: i.message, line: lineOf(doc, lc, i.path) });
      }
    }
  }
  issues.sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9));
  return { value: issues.length || !r.success ? null : r.data, issues };
}

export function formatConfigIssue(file: string, i: ConfigIssue): string {
  return `${file}: ${i.path ? `${i.path}: ` : ""}${i.message}${i.line ? ` (line ${i.line})` : ""}`;
}

function configError(file: string, issues: ConfigIssue[]): DomainError {
  const shown = issues.slice(0, 3).map((i) => formatConfigIssue(file, i));
  const more = issues.length > 3 ? `; and ${issues.length - 3} more` : "";
  return new DomainError("INVALID", shown.join("; ") + more, { field: issues[0]?.path || undefined });
}

/** Reads and validates a configuration file; the error names the file as given. */
export function loadConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DomainError("INVALID", `${file}: ${code === "ENOENT" ? "no such file" : (e as Error).message}. Give the path of a YAML configuration (--config FILE).`);
  }
  return parseConfigText(text, file);
}
