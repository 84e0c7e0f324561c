import Database from "better-sqlite3";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "../../server/trpc/context";
import { freePort } from "../../server/mysql/sandbox";
import { callerAs, failure, makeUser, useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";

const dataDir = useTempCatalog();
const sb = await useMariaDB();

let admin: SessionUser;
let operator: SessionUser;
let viewer: SessionUser;

beforeAll(async () => {
  admin = await makeUser("admin");
  operator = await makeUser("operator");
  viewer = await makeUser("viewer");
  await sb.sql(`CREATE USER 'bk'@'127.0.0.1' IDENTIFIED BY 'bk-secret-pw'; GRANT SELECT, RELOAD ON *.* TO 'bk'@'127.0.0.1';
                CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO shop.items VALUES (1,'a'),(2,'b');`);
});

const base = () => ({ name: "db1", host: "127.0.0.1", port: sb.port, user: "bk", password: "bk-secret-pw", tlsMode: "disabled" as const });

describe("registering a host", () => {
  it("tests a draft connection and reports the server's facts", async () => {
    const r = await callerAs(admin).hosts.testConnection({ host: "127.0.0.1", port: sb.port, user: "root", password: "", tlsMode: "preferred" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.facts.flavor).toBe("mariadb");
    expect(r.facts.binlog.enabled).toBe(true);
    expect(r.facts.binlog.format).toBe("ROW");
    expect(r.facts.serverId).toBe(sb.serverId);
    expect(r.facts.sizes.map((s) => s.name)).toContain("shop");
    expect(r.facts.datadirFilesystem).toBeTruthy();
    expect(r.facts.clonePlugin).toBe("unsupported");
    const clone = r.prerequisites.find((p) => p.engine === "clone")!;
    expect(clone.available).toBe(false);
  });

  it("names the cause of a failed connection", async () => {
    const closed = await freePort();
    const refused = await callerAs(admin).hosts.testConnection({ host: "127.0.0.1", port: closed, user: "root", tlsMode: "disabled" });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.message).toMatch(/Connection refused by 127\.0\.0\.1:\d+/);

    const dns = await callerAs(admin).hosts.testConnection({ host: "no-such-host.invalid", port: 3306, user: "root", tlsMode: "disabled" });
    expect(!dns.ok && dns.message).toMatch(/DNS: the host name "no-such-host.invalid" does not resolve/);

    const denied = await callerAs(admin).hosts.testConnection({ host: "127.0.0.1", port: sb.port, user: "bk", password: "wrong", tlsMode: "disabled" });
    expect(!denied.ok && denied.message).toMatch(/Access denied for user "bk"/);

    const tls = await callerAs(admin).hosts.testConnection({ host: "127.0.0.1", port: sb.port, user: "root", tlsMode: "required" });
    expect(!tls.ok && tls.message).toMatch(/does not offer TLS/);
    const started = Date.now();
    // a black-holed address answers within the 5 s budget
    const timeout = await callerAs(admin).hosts.testConnection({ host: "10.255.255.1", port: 3306, user: "root", tlsMode: "disabled" });
    expect(timeout.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(7000);
  });

  it("saves a host with its password encrypted, introspects it, and lists missing privileges with the GRANT", async () => {
    const h = await callerAs(admin).hosts.create(base());
    expect(h.hasPassword).toBe(true);
    // introspected as part of the create, and no environment unless one was chosen
    expect(h.facts?.flavor).toBe("mariadb");
    expect(h.introspectionError).toBeNull();
    expect(h.environment).toBe("");
    expect(JSON.stringify(h)).not.toContain("bk-secret-pw");
    const raw = new Database(path.join(dataDir, "catalog.db"), { readonly: true });
    const row = raw.prepare("SELECT * FROM Host WHERE id = ?").get(h.id) as Record<string, string>;
    raw.close();
    expect(JSON.stringify(row)).not.toContain("bk-secret-pw");
    expect(row.passwordEnc).toMatch(/^v1:/);

    const { result, host } = await callerAs(operator).hosts.introspect({ id: h.id });
    expect(result.ok).toBe(true);
    expect(host.facts?.privileges).toEqual(expect.arrayContaining(["SELECT", "RELOAD"]));
    const logical = host.prerequisites!.find((p) => p.engine === "logical")!;
    const showView = logical.checks.find((c) => c.what.startsWith("SHOW VIEW"))!;
    expect(showView.ok).toBe(false);
    expect(showView.fix).toBe("GRANT SHOW VIEW ON *.* TO 'bk'@'127.0.0.1';");
    const archive = host.prerequisites!.find((p) => p.engine === "binlog-archive")!;
    expect(archive.checks.find((c) => c.what.startsWith("REPLICATION SLAVE"))!.ok).toBe(false);
  });

  it("hides connection credentials from viewers and never returns a password", async () => {
    const list = await callerAs(viewer).hosts.list();
    const h = list.find((x) => x.name === "db1")!;
    expect(h.user).toBeNull();
    expect(JSON.stringify(list)).not.toContain("bk-secret-pw");
    const asOperator = await callerAs(operator).hosts.get({ id: h.id });
    expect(asOperator.user).toBe("bk");
  });

  it("refuses bad input with an error on the field, saving nothing", async () => {
    const before = (await callerAs(admin).hosts.list()).length;
    const dup = await failure(() => callerAs(admin).hosts.create(base()));
    expect(dup.code).toBe("CONFLICT");
    expect(dup.fieldErrors?.name?.[0]).toMatch(/already exists/);

    const port = await failure(() => callerAs(admin).hosts.create({ ...base(), name: "db2", port: 70000 }));
    expect(port.code).toBe("BAD_REQUEST");
    expect(port.fieldErrors?.port?.[0]).toMatch(/between 1 and 65535/);

    const host = await failure(() => callerAs(admin).hosts.create({ ...base(), name: "db3", host: "bad host!" }));
    expect(host.fieldErrors?.host?.[0]).toMatch(/Not a valid host name/);

    const noPw = await failure(() => callerAs(admin).hosts.create({ ...base(), name: "db4", host: "db.example.com", password: "" }));
    expect(noPw.fieldErrors?.password?.[0]).toMatch(/password is required for a remote host/);

    const noUser = await failure(() => callerAs(admin).hosts.create({ ...base(), name: "db5", user: "" }));
    expect(noUser.fieldErrors?.user?.[0]).toMatch(/Enter the user/);

    const noCa = await failure(() => callerAs(admin).hosts.create({ ...base(), name: "db6", tlsMode: "verify-ca" }));
    expect(noCa.fieldErrors?.tlsCa?.[0]).toMatch(/needs the CA certificate/);

    expect((await callerAs(admin).hosts.list()).length).toBe(before);
  });

  it("keeps the stored password when an edit leaves it empty, and audits every change", async () => {
    const h = (await callerAs(admin).hosts.list()).find((x) => x.name === "db1")!;
    await callerAs(admin).hosts.update({ ...base(), id: h.id, password: "", environment: "staging", labels: ["eu"] });
    const r = await callerAs(operator).hosts.testSaved({ id: h.id });
    expect(r.ok).toBe(true);
    const audit = await callerAs(viewer).audit.list({ limit: 50 });
    const actions = audit.items.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["host.create", "host.update", "host.introspect"]));
    const upd = audit.items.find((e) => e.action === "host.update")!;
    expect(upd.actorEmail).toBe(admin.email);
    expect(upd.details.changed).toEqual(["environment"]);
    expect(JSON.stringify(audit)).not.toContain("bk-secret-pw");
  });

  it("an unreachable saved host records why introspection failed", async () => {
    const port = await freePort();
    const h = await callerAs(admin).hosts.create({ ...base(), name: "gone", port });
    // the create succeeds; why the first introspection failed is on the host
    expect(h.facts).toBeNull();
    expect(h.introspectionError).toMatch(/Connection refused/);
    const { result, host } = await callerAs(operator).hosts.introspect({ id: h.id });
    expect(result.ok).toBe(false);
    expect(host.introspectionError).toMatch(/Connection refused/);
    await callerAs(admin).hosts.delete({ id: h.id });
  });
});
