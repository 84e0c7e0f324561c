import { describe, expect, it } from "vitest";
import {
  advanceMariaGtidPos,
  compareMariaGtid,
  formatMariaGtidPos,
  mariaGtidPosIncludes,
  mariaGtidPosReached,
  parseMariaGtid,
  parseMariaGtidPos,
} from "../../server/binlog/gtid-mariadb";
import { MysqlGtidSet } from "../../server/binlog/gtid-mysql";

const A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const B = "d0a1b2c3-0000-11ee-8000-0242ac120002";

describe("MariaDB GTID positions", () => {
  it("parses, formats and orders domain-server-sequence", () => {
    expect(parseMariaGtid("0-1-100")).toEqual({ domain: 0, server: 1, seq: 100n });
    expect(parseMariaGtid(" 2-4294967295-18446744073709551615 ")).toEqual({ domain: 2, server: 4294967295, seq: 18446744073709551615n });
    const pos = parseMariaGtidPos("1-2-5, 0-1-100");
    expect(formatMariaGtidPos(pos)).toBe("0-1-100,1-2-5");
    expect(parseMariaGtidPos("")).toEqual([]);
    expect(compareMariaGtid(parseMariaGtid("0-1-9"), parseMariaGtid("0-2-10"))).toBe(-1);
    expect(compareMariaGtid(parseMariaGtid("0-1-9"), parseMariaGtid("1-1-9"))).toBeNull();
  });

  it("advances per domain and answers inclusion", () => {
    let pos = parseMariaGtidPos("0-1-100,1-2-5");
    pos = advanceMariaGtidPos(pos, parseMariaGtid("0-3-101"));
    pos = advanceMariaGtidPos(pos, parseMariaGtid("7-1-1"));
    expect(formatMariaGtidPos(pos)).toBe("0-3-101,1-2-5,7-1-1");
    expect(mariaGtidPosIncludes(pos, parseMariaGtid("0-1-50"))).toBe(true);
    expect(mariaGtidPosIncludes(pos, parseMariaGtid("0-1-102"))).toBe(false);
    expect(mariaGtidPosIncludes(pos, parseMariaGtid("3-1-1"))).toBe(false);
    expect(mariaGtidPosReached(pos, parseMariaGtidPos("0-1-101,1-2-5"))).toBe(true);
    expect(mariaGtidPosReached(pos, parseMariaGtidPos("1-2-6"))).toBe(false);
  });

  it("rejects malformed positions with a message that shows the expected form", () => {
    expect(() => parseMariaGtid("0-1")).toThrow(/domain-server-sequence, e\.g\. 0-1-100/);
    expect(() => parseMariaGtid(`${A}:1`)).toThrow(/not a MariaDB GTID/);
    expect(() => parseMariaGtid("4294967296-1-1")).toThrow(/out of range/);
    expect(() => parseMariaGtidPos("0-1-5,0-2-6")).toThrow(/names domain 0 twice/);
  });
});

describe("MySQL GTID sets", () => {
  it("parses, normalizes and formats like the server", () => {
    const s = MysqlGtidSet.parse(`${A.toUpperCase()}:7-9:1-5,\n ${A}:10, ${B}:3`);
    expect(s.toString()).toBe(`${A}:1-5:7-10,${B}:3`);
    expect(s.count()).toBe(10n);
    expect(MysqlGtidSet.parse("").isEmpty).toBe(true);
    expect(MysqlGtidSet.parse(`${A.replace(/-/g, "")}:1`).toString()).toBe(`${A}:1`);
    // adjacent intervals merge
    expect(MysqlGtidSet.parse(`${A}:1-3:4-6`).toString()).toBe(`${A}:1-6`);
  });

  it("union, subtract and contains", () => {
    const x = MysqlGtidSet.parse(`${A}:1-10,${B}:1-3`);
    const y = MysqlGtidSet.parse(`${A}:5-15:20`);
    expect(x.union(y).toString()).toBe(`${A}:1-15:20,${B}:1-3`);
    expect(x.subtract(y).toString()).toBe(`${A}:1-4,${B}:1-3`);
    expect(y.subtract(x).toString()).toBe(`${A}:11-15:20`);
    expect(x.subtract(x).isEmpty).toBe(true);
    expect(x.contains(`${A}:3-7`)).toBe(true);
    expect(x.contains(`${A}:3-11`)).toBe(false);
    expect(x.contains(`${B}:2`)).toBe(true);
    expect(x.contains(MysqlGtidSet.empty())).toBe(true);
    expect(x.add(A, 11).toString()).toBe(`${A}:1-11,${B}:1-3`);
    expect(x.add(B, 9).toString()).toBe(`${A}:1-10,${B}:1-3:9`);
    expect(x.union(y).equals(y.union(x))).toBe(true);
  });

  it("encodes and decodes the binary form of PREVIOUS_GTIDS / COM_BINLOG_DUMP_GTID", () => {
    // hand-made: 1 sid, 2 intervals [1,6) and [7,11) (ends are exclusive on the wire)
    const buf = Buffer.alloc(8 + 16 + 8 + 32);
    buf.writeBigUInt64LE(1n, 0);
    Buffer.from(A.replace(/-/g, ""), "hex").copy(buf, 8);
    buf.writeBigUInt64LE(2n, 24);
    buf.writeBigUInt64LE(1n, 32);
    buf.writeBigUInt64LE(6n, 40);
    buf.writeBigUInt64LE(7n, 48);
    buf.writeBigUInt64LE(11n, 56);
    const s = MysqlGtidSet.decode(buf);
    expect(s.toString()).toBe(`${A}:1-5:7-10`);
    expect(s.encode().equals(buf)).toBe(true);
    const two = MysqlGtidSet.parse(`${B}:3,${A}:1-2`);
    expect(MysqlGtidSet.decode(two.encode()).equals(two)).toBe(true);
    expect(MysqlGtidSet.empty().encode().equals(Buffer.alloc(8))).toBe(true);
    expect(() => MysqlGtidSet.decode(buf.subarray(0, 40))).toThrow(/truncated/);
  });

  it("rejects malformed sets with the expected form", () => {
    expect(() => MysqlGtidSet.parse("not-a-uuid:1")).toThrow(/uuid:N\[-M\]/);
    expect(() => MysqlGtidSet.parse(A)).toThrow(/without transaction numbers/);
    expect(() => MysqlGtidSet.parse(`${A}:5-3`)).toThrow(/not a valid range/);
    expect(() => MysqlGtidSet.parse(`${A}:0`)).toThrow(/not a valid range/);
    expect(() => MysqlGtidSet.parse(`${A}:tag:1`)).toThrow(/tagged GTIDs are not supported/);
  });
});
