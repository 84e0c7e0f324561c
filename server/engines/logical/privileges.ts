import type mysql from "mysql2/promise";
import { DomainError } from "../../errors";
import { describeAddress, type ServerAddress } from "../../mysql/connection-options";
import type { DatabaseInfo } from "./inventory";
import { textRows } from "./meta-query";
import { accountOf, quoteIdent } from "./sql-text";

function likeToRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (c === "%") re += ".*";
    else if (c === "_") re += ".";
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

/**
 * Checks, before anything is locked or written, that the account can read everything the dump
 * needs: SELECT, SHOW VIEW, TRIGGER and EVENT on each database (without TRIGGER/EVENT the server
 * silently hides triggers and events, and the backup would miss them), RELOAD for the snapshot
 * lock, SELECT on mysql for accounts. Reports every missing privilege with the GRANT that fixes it.
 * Accounts with roles are not checked here (role privileges are not listed per account); errors
 * from the statements themselves still name the privilege.
 */
export async function checkPrivileges(
  c: mysql.Connection,
  dbs: DatabaseInfo[],
  opts: { needReload: boolean; includeUsers: boolean; currentUser: string; address: ServerAddress },
) {
  // MariaDB lists one row with a NULL role when none is enabled
  const roles = await textRows(c, "SELECT COUNT(ROLE_NAME) FROM information_schema.ENABLED_ROLES").catch(() => [["0"]]);
  if (Number(roles[0]?.[0] ?? 0) > 0) return;
  // an account that can read the mysql schema sees everyone's privileges here: keep its own
  const grantee = accountOf(opts.currentUser);
  const global = new Set((await textRows(c, "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?", [grantee])).map((r) => r[0]!.toUpperCase()));
  const schema = (await textRows(c, "SELECT TABLE_SCHEMA, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?", [grantee])).map((r) => ({ re: likeToRegex(r[0]!), priv: r[1]!.toUpperCase() }));
  const tablePrivs = (await textRows(c, "SELECT TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?", [grantee])).map((r) => ({ db: r[0]!, t: r[1]!, priv: r[2]!.toUpperCase() }));
  // nothing listed for the account (an unusual GRANTEE spelling): leave it to the statements' own errors
  if (!global.size && !schema.length && !tablePrivs.length) return;
  const has = (priv: string, db?: string) => global.has(priv) || (db !== undefined && schema.some((s) => s.priv === priv && s.re.test(db)));
  const missing: { priv: string; scope: string }[] = [];
  if (opts.needReload && !has("RELOAD")) missing.push({ priv: "RELOAD", scope: "*.*" });
  for (const db of dbs) {
    const scope = `${quoteIdent(db.name)}.*`;
    const tablesOk = () => db.tables.every((t) => tablePrivs.some((p) => p.db === db.name && p.t === t.name && p.priv === "SELECT"));
    if (!has("SELECT", db.name) && !tablesOk()) missing.push({ priv: "SELECT", scope });
    if (db.views.length && !has("SHOW VIEW", db.name)) missing.push({ priv: "SHOW VIEW", scope });
    if (db.tables.length && !has("TRIGGER", db.name)) missing.push({ priv: "TRIGGER", scope });
    if (db.full && !has("EVENT", db.name)) missing.push({ priv: "EVENT", scope });
  }
  if (opts.includeUsers && !has("SELECT", "mysql")) missing.push({ priv: "SELECT", scope: "`mysql`.*" });
  if (!missing.length) return;
  const account = grantee;
  const grants = missing.map((m) => `GRANT ${m.priv} ON ${m.scope} TO ${account};`);
  throw new DomainError(
    "FORBIDDEN",
    `The backup account ${account} on ${describeAddress(opts.address)} lacks ${missing.map((m) => `${m.priv} on ${m.scope}`).join(", ")}. Run: ${grants.join(" ")}`,
  );
}
