// Pieces of the logical engine on their own: the rename rewriter (which references to a renamed
// database change, and which do not), statement framing, and the two row paths of the encoder.
// logical-roundtrip.test.ts proves the whole on real servers with every object of the fixture.
import { describe, expect, it } from "vitest";
import { combineSegments, MultisetSum, SegmentDigests, Segmenter } from "../../server/engines/logical/fingerprint-state";
import { frame, readFrames } from "../../server/engines/logical/framing";
import { InsertWriter, type Row, type Statement } from "../../server/engines/logical/insert-writer";
import type { ColumnKind } from "../../server/engines/logical/value-encoder";
import { DomainError } from "../../server/errors";
import { renameFirstIdentifier, renameQualified, type RenameContext } from "../../server/restore/logical/rename";

function ctx(over: Partial<RenameContext> = {}, cs = "utf8mb4"): RenameContext {
  const enc = (s: string) => Buffer.from(s, cs === "latin1" ? "latin1" : "utf8");
  return {
    names: new Map([[enc("shop").toString("hex"), enc("`shop_2`")], [enc("ü db").toString("hex"), enc("`neu`")]]),
    localNames: new Set(["orders"].map((n) => enc(n).toString("hex"))),
    ansiQuotes: false,
    noBackslashEscapes: false,
    charset: cs,
    ...over,
  };
}
const rw = (sql: string, c = ctx()) => renameQualified(Buffer.from(sql, "utf8"), c).toString("utf8");

describe("renaming qualified references to a database", () => {
  it("rewrites quoted, bare and starred qualified names", () => {
    expect(rw("SELECT * FROM `shop`.`orders` JOIN shop.items i ON i.o = shop.orders.id")).toBe("SELECT * FROM `shop_2`.`orders` JOIN `shop_2`.items i ON i.o = `shop_2`.orders.id");
    expect(rw("GRANT SELECT ON `shop`.* TO `app`@`%`")).toBe("GRANT SELECT ON `shop_2`.* TO `app`@`%`");
    expect(rw("CALL `ü db`.p()")).toBe("CALL `neu`.p()");
  });

  it("leaves strings, comments, unqualified names and table.column alone", () => {
    const sql = "SELECT 'shop.orders', \"shop.x\", shop, `shop` /* shop.t */ -- shop.t\n, `shop`.id FROM t # shop.t";
    // `shop`.id is two parts and shop is also a table of the database: read as table.column
    const shopIsATable = ctx({ localNames: new Set([Buffer.from("shop").toString("hex")]) });
    expect(rw(sql, shopIsATable)).toBe(sql);
    expect(rw("SELECT `shop`.`t`.c FROM `shop`.`t`", shopIsATable)).toBe("SELECT `shop_2`.`t`.c FROM `shop`.`t`");
  });

  it("reads ANSI quotes as identifiers when the sql_mode says so", () => {
    expect(rw('SELECT "shop"."orders".a FROM "shop"."orders"', ctx({ ansiQuotes: true }))).toBe('SELECT `shop_2`."orders".a FROM `shop_2`."orders"');
  });

  it("honours NO_BACKSLASH_ESCAPES when finding the end of a string", () => {
    const sql = "SELECT 'C:\\' AS p, 1 FROM `shop`.`t`";
    expect(rw(sql, ctx({ noBackslashEscapes: true }))).toBe("SELECT 'C:\\' AS p, 1 FROM `shop_2`.`t`");
  });

  it("keeps code inside executable comments", () => {
    expect(rw("SELECT /*!50000 `shop`.f() */ 1")).toBe("SELECT /*!50000 `shop_2`.f() */ 1");
  });

  it("does not end an sjis string at a 0x5C second byte", () => {
    const sql = Buffer.concat([Buffer.from("SELECT '"), Buffer.from([0x95, 0x5c]), Buffer.from("' FROM `shop`.t")]);
    expect(renameQualified(sql, ctx({}, "sjis")).includes(Buffer.from("FROM `shop_2`.t"))).toBe(true);
    // read as utf8 the same bytes end the string early and the reference is missed
    expect(renameQualified(sql, ctx()).includes(Buffer.from("`shop_2`"))).toBe(false);
  });

  it("matches names in the definition's own character set", () => {
    const sql = Buffer.from("SELECT * FROM `ü db`.t", "latin1");
    expect(renameQualified(sql, ctx({}, "latin1")).toString("latin1")).toBe("SELECT * FROM `neu`.t");
  });

  it("renames the database of CREATE DATABASE", () => {
    expect(renameFirstIdentifier(Buffer.from("CREATE DATABASE `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */"), "shop", "a`b").toString()).toBe("CREATE DATABASE `a``b` /*!40100 DEFAULT CHARACTER SET utf8mb4 */");
  });
});

describe("statement framing", () => {
  it("reads back exactly the statements written, whatever they contain, across any chunking", async () => {
    const small = [Buffer.from("INSERT INTO `t;\n` VALUES ('a;\\n'),(X'00')"), Buffer.from("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END")];
    const write = (stmts: Buffer[]) =>
      Buffer.concat([Buffer.from("charset binary\n-- a comment\n"), ...stmts.flatMap((s, i) => frame(s, { k: i % 2 ? "routine" : "insert" }, i % 2 === 1))]);
    for (const [stmts, size] of [
      [small, 1],
      [small, 7],
      [[...small, Buffer.alloc(3 << 20, 0x61)], 65536],
      [[...small, Buffer.alloc(3 << 20, 0x61)], 1 << 30],
    ] as const) {
      const bytes = write([...stmts]);
      const chunks = async function* () {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      };
      const got: Buffer[] = [];
      for await (const f of readFrames(chunks(), "test")) got.push(Buffer.from(f.sql));
      expect(got.map((g) => g.toString("hex"))).toEqual(stmts.map((x) => x.toString("hex")));
    }
  });

  it("rejects a truncated object", async () => {
    const bytes = Buffer.concat(frame(Buffer.from("INSERT INTO t VALUES (1)"), { k: "insert" }));
    const chunks = async function* () {
      yield bytes.subarray(0, bytes.length - 5);
    };
    await expect(async () => {
      for await (const _ of readFrames(chunks(), "obj")) void _;
    }).rejects.toThrow(/obj ends in the middle of a statement/);
  });

  it("reports a damaged object as a domain error that says what to do", async () => {
    const good = Buffer.concat(frame(Buffer.from("INSERT INTO t VALUES (1)"), { k: "insert" }));
    const damaged = [
      Buffer.concat([good.subarray(0, 20), Buffer.from("}"), good.subarray(21)]), // header JSON broken
      Buffer.concat([good, Buffer.from("DROP TABLE t;\n")]), // a line that is not ours
      Buffer.concat([good.subarray(0, good.length - 2), Buffer.from("X\n")]), // terminator overwritten
    ];
    for (const bytes of damaged) {
      const err = await (async () => {
        for await (const _ of readFrames((async function* () { yield bytes; })(), "shop/t.sql.zst")) void _;
      })().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe("INVALID");
      expect((err as DomainError).message).toMatch(/^shop\/t\.sql\.zst.*Verify the backup .* restore from another backup\.$/s);
    }
  });
});

/** A text-protocol row packet (length-encoded strings, 0xFB for NULL), as the server sends it. */
function packet(row: Row): Buffer {
  const parts: Buffer[] = [];
  for (const v of row) {
    if (v === null) parts.push(Buffer.from([0xfb]));
    else if (v.length < 251) parts.push(Buffer.from([v.length]), v);
    else if (v.length < 1 << 16) parts.push(Buffer.from([0xfc, v.length & 255, v.length >> 8]), v);
    else parts.push(Buffer.from([0xfd, v.length & 255, (v.length >> 8) & 255, v.length >> 16]), v);
  }
  return Buffer.concat(parts);
}

describe("row encoding", () => {
  const kinds: ColumnKind[] = ["num", "str", "double", "bit", "temporal", "geom", "index", "json8"];
  const rows: Row[] = Array.from({ length: 3000 }, (_, i) => [
    Buffer.from(String(i * 37 - 50000)),
    i % 11 === 0 ? null : Buffer.from(`v${i}\u0000'\\\n\r\u001a${"x".repeat(i % 300)}`, "latin1"),
    Buffer.from(i % 5 ? `${i}.25` : "1.5e-300"),
    Buffer.from([i & 255, (i >> 8) & 255]),
    Buffer.from("2024-01-02 03:04:05.000006"),
    Buffer.from([0, 0, 0, 0, 1, i & 255]),
    Buffer.from(String(i % 4)),
    Buffer.from(`{"k": ${i}}`),
  ]);

  it("writes the same statements and fingerprints from row objects and from row packets", () => {
    const run = (viaPackets: boolean, fp: "pk" | "multiset") => {
      const out: Statement[] = [];
      const digests = new SegmentDigests();
      const sum = new MultisetSum();
      const w = new InsertWriter(Buffer.from("INSERT INTO t VALUES "), kinds, 20_000, fp === "pk" ? { kind: "pk", digests, segmenter: new Segmenter(64n), keyIndex: 0 } : { kind: "multiset", sum }, (s) => out.push(s) > 0, [0]);
      for (const r of rows) {
        if (viaPackets) {
          const p = packet(r);
          // the row sits inside a bigger buffer, as in a socket chunk
          w.addPacket(Buffer.concat([Buffer.from("junk"), p]), 4);
        } else w.add(r);
      }
      w.flush();
      digests.cut();
      return { sql: Buffer.concat(out.flatMap((s) => s.parts)).toString("hex"), rows: out.reduce((n, s) => n + s.rows, 0), hash: fp === "pk" ? combineSegments(digests.digests) : sum.hex(), bounds: out.map((s) => [s.first[0]!.toString(), s.last[0]!.toString()]) };
    };
    for (const fp of ["pk", "multiset"] as const) {
      const a = run(false, fp);
      const b = run(true, fp);
      expect(b).toEqual(a);
      expect(a.rows).toBe(3000);
      expect(a.bounds.length).toBeGreaterThan(10);
    }
  });
});
