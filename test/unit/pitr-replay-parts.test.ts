// The replay engine's pure parts: which databases a statement touches and how it is renamed,
// table-map rewriting with its CRC, where replay stops, USER_VAR decimals.
import { describe, expect, it } from "vitest";
import { sealEventChecksum, verifyEventChecksum } from "../../server/binlog/checksum";
import { ByteReader } from "../../server/binlog/byte-reader";
import { decodeTableMap, decodeRows } from "../../server/binlog/decode-rows";
import { writeEventHeader } from "../../server/binlog/event-header";
import { EventType, HEADER_LENGTH } from "../../server/binlog/event-types";
import { renameTableMap, withStmtEnd } from "../../server/pitr/replay/event-bytes";
import { StatementScope } from "../../server/pitr/replay/statement-scope";
import { StopRule } from "../../server/pitr/replay/stop-rule";
import { decodeBinaryDecimal } from "../../server/pitr/replay/var-events";

const utf8 = (s: string) => Buffer.from(s, "utf8");
const decide = (scope: StatementScope, database: string, sql: string, sqlMode?: bigint) => scope.decide({ database, sql: utf8(sql), charset: "utf8mb4", sqlMode });
const text = (d: ReturnType<typeof decide>) => (d.action === "apply" ? d.sql.toString("utf8") : d.action);

describe("statement scope: renames", () => {
  const scope = new StatementScope(null, new Map([["shop", "shop_pitr"]]), ["shop", "crm"]);

  it("rewrites qualified references to a renamed database, quoted or not, and leaves the rest", () => {
    expect(text(decide(scope, "shop", "CREATE TABLE shop.t2 LIKE `shop`.`t`"))).toBe("CREATE TABLE `shop_pitr`.t2 LIKE `shop_pitr`.`t`");
    expect(text(decide(scope, "crm", "INSERT INTO crm.x SELECT * FROM shop.t, shop.u.c"))).toBe("INSERT INTO crm.x SELECT * FROM `shop_pitr`.t, `shop_pitr`.u.c");
    expect(text(decide(scope, "shop", "GRANT SELECT ON shop.* TO u"))).toBe("GRANT SELECT ON `shop_pitr`.* TO u");
    // strings, comments, aliases and columns are not database references
    expect(text(decide(scope, "shop", "UPDATE orders o SET o.note = 'shop.t' /* shop.t */ WHERE o.id = 1"))).toBe("UPDATE orders o SET o.note = 'shop.t' /* shop.t */ WHERE o.id = 1");
  });

  it("renames the object of CREATE/DROP DATABASE and reads ANSI_QUOTES identifiers", () => {
    expect(text(decide(scope, "", "CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4"))).toBe("CREATE DATABASE IF NOT EXISTS `shop_pitr` CHARACTER SET utf8mb4");
    expect(text(decide(scope, "", "DROP SCHEMA `shop`"))).toBe("DROP SCHEMA `shop_pitr`");
    expect(text(decide(scope, "", 'SELECT 1 FROM "shop"."t"', 4n))).toBe('SELECT 1 FROM `shop_pitr`."t"');
    expect(text(decide(scope, "", 'SELECT "shop.t"'))).toBe('SELECT "shop.t"');
  });
});

describe("statement scope: a subset of databases", () => {
  const scope = () => new StatementScope(new Set(["shop"]), new Map(), ["shop", "crm"], true);

  it("applies statements of restored databases and skips the others", () => {
    const s = scope();
    expect(decide(s, "shop", "ALTER TABLE orders ADD COLUMN x INT").action).toBe("apply");
    expect(decide(s, "", "ALTER TABLE shop.orders ADD COLUMN x INT").action).toBe("apply");
    expect(decide(s, "crm", "ALTER TABLE contacts ADD COLUMN x INT")).toEqual({ action: "skip", reason: "touches only crm" });
    expect(decide(s, "", "DROP DATABASE crm").action).toBe("skip");
    expect(decide(s, "shop", "CREATE USER 'u'@'%'").action).toBe("skip");
    expect(decide(s, "shop", "GRANT SELECT ON shop.* TO u").action).toBe("skip");
  });

  it("refuses a statement that touches both", () => {
    const d = decide(scope(), "shop", "INSERT INTO crm.contacts SELECT * FROM orders");
    expect(d).toEqual({ action: "conflict", reason: "it touches restored database(s) shop and database(s) not being restored crm" });
  });

  it("follows a database created by the binlogs, but not one that may have existed", () => {
    const s = scope();
    expect(decide(s, "", "CREATE DATABASE fresh").action).toBe("apply");
    expect(decide(s, "fresh", "CREATE TABLE t (id INT)").action).toBe("apply");
    expect(decide(s, "", "CREATE DATABASE IF NOT EXISTS maybe").action).toBe("skip");
    expect(decide(s, "maybe", "CREATE TABLE t (id INT)").action).toBe("skip");
  });
});

/** A TABLE_MAP event as a server writes it (6-byte table id, CRC32). */
function tableMap(db: string, table: string): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x2a, 0, 0, 0, 0, 0]), // table id 42
    Buffer.from([1, 0]), // flags
    Buffer.from([db.length]),
    utf8(db),
    Buffer.from([0, table.length]),
    utf8(table),
    Buffer.from([0, 3, 3, 15, 246]), // 3 columns: INT, VARCHAR, NEWDECIMAL
    Buffer.from([4, 0x90, 0x01, 10, 2]), // metadata
    Buffer.from([0b110]), // null bitmap
  ]);
  const header = writeEventHeader({ timestamp: 1_700_000_000, type: EventType.TABLE_MAP, serverId: 1, eventSize: HEADER_LENGTH + body.length + 4, logPos: 1000, flags: 0 });
  return sealEventChecksum(Buffer.concat([header, body]));
}

describe("event bytes", () => {
  it("renames the database of a TABLE_MAP, fixing its size and CRC32 and keeping the rest", () => {
    const raw = tableMap("shop", "orders");
    const out = renameTableMap(raw, "shop_pitr_2026", 8, "crc32");
    expect(out.length).toBe(raw.length + "_pitr_2026".length);
    expect(out.readUInt32LE(9)).toBe(out.length);
    expect(verifyEventChecksum(out).ok).toBe(true);
    const a = decodeTableMap(new ByteReader(raw, HEADER_LENGTH, raw.length - 4), 8);
    const b = decodeTableMap(new ByteReader(out, HEADER_LENGTH, out.length - 4), 8);
    expect(b).toEqual({ ...a, database: "shop_pitr_2026" });
  });

  it("marks a rows event as its statement's last, with a valid CRC32", () => {
    const body = Buffer.concat([Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([1, 0xff]), Buffer.from([0, 1, 0, 0, 0])]);
    const header = writeEventHeader({ timestamp: 1, type: EventType.WRITE_ROWS_V1, serverId: 1, eventSize: HEADER_LENGTH + body.length + 4, logPos: 0, flags: 0 });
    const raw = sealEventChecksum(Buffer.concat([header, body]));
    const out = withStmtEnd(raw, 8, "crc32");
    expect(verifyEventChecksum(out).ok).toBe(true);
    expect(decodeRows(EventType.WRITE_ROWS_V1, new ByteReader(out, HEADER_LENGTH, out.length - 4), 8).stmtEnd).toBe(true);
    expect(decodeRows(EventType.WRITE_ROWS_V1, new ByteReader(raw, HEADER_LENGTH, raw.length - 4), 8).stmtEnd).toBe(false);
  });
});

describe("where replay stops", () => {
  const trx = (endPosition: number, commitTimestamp: number, gtid?: string) => ({ file: "binlog.000002", startPosition: endPosition - 100, endPosition, commitTimestamp, gtid });

  it("time: transactions committed at or before the target second", () => {
    const r = new StopRule({ time: new Date(1_700_000_010_999) });
    expect(r.includes(trx(200, 1_700_000_010))).toBe(true);
    expect(r.includes(trx(300, 1_700_000_011))).toBe(false);
  });

  it("position: transactions that end at or before it; reaching it exactly ends replay", () => {
    const r = new StopRule({ position: { file: "binlog.000002", position: 300 } });
    expect(r.includes(trx(300, 1))).toBe(true);
    expect(r.includes(trx(301, 1))).toBe(false);
    expect(r.stopsBefore({ file: "binlog.000002", position: 300 }, undefined)).toBe(true);
    expect(r.stopsBefore({ file: "binlog.000003", position: 4 }, undefined)).toBe(true);
    r.afterApplied(trx(300, 1));
    expect(r.reached).toBe(true);
  });

  it("GTID: up to and including it; a sequence jumping past it is an error", () => {
    const r = new StopRule({ gtid: "0-1-10" });
    expect(r.stopsBefore({ file: "binlog.000002", position: 4 }, "0-1-9")).toBe(false);
    r.afterApplied(trx(200, 1, "0-1-9"));
    expect(r.reached).toBe(false);
    r.afterApplied(trx(300, 1, "0-1-10"));
    expect(r.stopsBefore({ file: "binlog.000002", position: 300 }, "0-1-11")).toBe(true);
    expect(() => new StopRule({ gtid: "0-1-10" }).stopsBefore({ file: "binlog.000002", position: 4 }, "0-1-12")).toThrow(/GTID 0-1-10 is not in the archived binlogs/);
  });
});

describe("USER_VAR decimals", () => {
  it("decodes MySQL's binary decimal format", () => {
    // DECIMAL(14,4): the example in MySQL's documentation of the format
    expect(decodeBinaryDecimal(Buffer.from([14, 4, 0x81, 0x0d, 0xfb, 0x38, 0xd2, 0x04, 0xd2]))).toBe("1234567890.1234");
    expect(decodeBinaryDecimal(Buffer.from([14, 4, 0x7e, 0xf2, 0x04, 0xc7, 0x2d, 0xfb, 0x2d]))).toBe("-1234567890.1234");
    expect(decodeBinaryDecimal(Buffer.from([4, 2, 0x80, 0x05]))).toBe("0.05");
  });
});
