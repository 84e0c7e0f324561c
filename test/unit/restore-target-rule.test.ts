import { describe, expect, it } from "vitest";
import type { Role } from "../../server/auth/roles";
import { DomainError } from "../../server/errors";
import { decideRestoreTarget, type RestoreTargetRequest } from "../../server/restore/target-rule";

// The one rule for "may this restore write there?", shared by restores and point-in-time restores.
const src = { id: "h-src", name: "db1" };
const other = { id: "h-other", name: "scratch" };
const logical = { id: "b1", hostId: src.id, format: "logical-set", databases: ["shop", "crm"] };
const physical = { ...logical, format: "xbstream" };

type Case = Partial<Omit<RestoreTargetRequest, "input"> & RestoreTargetRequest["input"]>;
const req = ({ backup = logical, target = other, role = "operator", ...input }: Case): RestoreTargetRequest => ({
  backup,
  target,
  role,
  input: { databases: [], rename: {}, dropExisting: false, ...input },
  what: "this backup",
  copySuffix: "_restored",
});

/** "ok <decision>" or "<code> <field>: <message>" */
function outcome(r: RestoreTargetRequest): string {
  try {
    const d = decideRestoreTarget(r);
    return `ok physical=${d.physical} over=${d.overOriginal} dbs=${d.databases.join(",")}`;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return `${e.code} ${e.field ?? "-"}: ${e.message}`;
  }
}

describe("decideRestoreTarget", () => {
  const table: [string, Case, RegExp][] = [
    ["logical to another host, as an operator", {}, /^ok physical=false over=false dbs=shop,crm$/],
    ["a subset", { databases: ["crm"] }, /^ok physical=false over=false dbs=crm$/],
    ["a database the backup does not hold", { databases: ["nope"] }, /^INVALID databases: Not in this backup: nope\. It holds shop, crm\.$/],
    ["a rename of a database not being restored", { databases: ["crm"], rename: { shop: "x" } }, /^INVALID rename: Cannot rename shop/],
    ["two databases onto one name", { rename: { shop: "crm" } }, /^INVALID rename: Two databases would be restored as crm\.$/],
    ["own host under new names, as an operator", { target: src, rename: { shop: "shop_r", crm: "crm_r" } }, /^ok physical=false over=false/],
    ["own host, one name kept, as an operator", { target: src, rename: { shop: "shop_r" } }, /^FORBIDDEN -: Restoring over db1's own databases needs an admin\. Restore under new names \(e\.g\. shop -> shop_restored\)/],
    ["own host, as an admin without the name typed", { target: src, role: "admin" }, /^INVALID confirm: This overwrites shop, crm on db1\. Type the host name \(db1\)/],
    ["own host, as an admin, typed, without replace", { target: src, role: "admin", confirm: "db1" }, /^INVALID dropExisting:/],
    ["own host, as an admin, typed, replace ticked", { target: src, role: "admin", confirm: " db1 ", dropExisting: true }, /^ok physical=false over=true dbs=shop,crm$/],
    ["physical, as an operator", { backup: physical }, /^FORBIDDEN -: this backup is physical \(xbstream\): restoring it replaces scratch's whole datadir and needs an admin/],
    ["physical, as an admin, not typed", { backup: physical, role: "admin", startCommand: "systemctl start mariadb" }, /^INVALID confirm: This stops scratch/],
    ["physical, as an admin, typed, no start command", { backup: physical, role: "admin", confirm: "scratch" }, /^INVALID startCommand:/],
    ["physical with a subset", { backup: physical, role: "admin", confirm: "scratch", startCommand: "x", databases: ["shop"] }, /^INVALID databases: A physical backup restores the whole server/],
    ["physical with a rename", { backup: physical, role: "admin", confirm: "scratch", startCommand: "x", rename: { shop: "y" } }, /^INVALID databases:/],
    ["physical, as an admin, typed, start command", { backup: physical, role: "admin", confirm: "scratch", startCommand: "x" }, /^ok physical=true over=false dbs=shop,crm$/],
    ["physical onto its own host needs the same", { backup: physical, target: src, role: "operator" as Role }, /^FORBIDDEN/],
  ];
  for (const [name, o, want] of table) it(name, () => expect(outcome(req(o))).toMatch(want));

  it("a viewer may restore nothing over the original and nothing physical", () => {
    expect(outcome(req({ role: "viewer", target: src }))).toMatch(/^FORBIDDEN/);
    expect(outcome(req({ role: "viewer", backup: physical }))).toMatch(/^FORBIDDEN/);
  });
});
