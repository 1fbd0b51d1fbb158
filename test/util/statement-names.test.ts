import { describe, expect, it } from "vitest";
import { MAX_NAMED_STATEMENTS, StatementNames } from "../../src/util/statement-names.js";

describe("StatementNames", () => {
  it("names each parameterized text once, and the same text the same way", () => {
    const names = new StatementNames();
    const first = names.nameFor("SELECT value FROM t WHERE key = $1", ["a"]);
    expect(first).toMatch(/^vaultlet_\d+$/);
    expect(names.nameFor("SELECT value FROM t WHERE key = $1", ["b"])).toBe(first);
    expect(names.nameFor("DELETE FROM t WHERE key = $1", ["a"])).not.toBe(first);
  });

  it("leaves statements without parameters unnamed (they may hold several commands)", () => {
    const names = new StatementNames();
    expect(names.nameFor("CREATE TABLE t (k text); CREATE INDEX ON t (k)", [])).toBeUndefined();
    expect(names.nameFor("SELECT 1", undefined)).toBeUndefined();
  });

  it("names no more than the cap, so generated texts cannot grow the set without bound", () => {
    const names = new StatementNames();
    const given = Array.from({ length: MAX_NAMED_STATEMENTS + 10 }, (_, i) => names.nameFor(`SELECT $1::int + ${i}`, [1]));
    expect(new Set(given.filter((name) => name !== undefined)).size).toBe(MAX_NAMED_STATEMENTS);
    expect(given.slice(MAX_NAMED_STATEMENTS)).toEqual(Array(10).fill(undefined));
    expect(names.nameFor("SELECT $1::int + 0", [1])).toBe(given[0]); // the named ones keep their names
  });
});
