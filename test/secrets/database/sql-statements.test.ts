import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../src/errors.js";
import { MAX_STATEMENTS_LENGTH, normalizeStatements, splitStatements } from "../../../src/secrets/database/sql-statements.js";
import { useEngineFixture } from "../../support/engine-fixture.js";

const open = useEngineFixture();

describe("splitStatements", () => {
  it("splits the seed's creation statements", () => {
    const sql = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;
    expect(splitStatements(sql)).toEqual([
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"`,
    ]);
  });

  it("keeps DO $$ … $$ bodies whole", () => {
    const sql = `DO $$ BEGIN CREATE ROLE x; GRANT y TO x; END $$; SELECT 1`;
    expect(splitStatements(sql)).toEqual([`DO $$ BEGIN CREATE ROLE x; GRANT y TO x; END $$`, "SELECT 1"]);
  });

  it("keeps tagged dollar quotes whole, even with $$ inside", () => {
    const sql = `CREATE FUNCTION f() RETURNS text AS $fn$ SELECT '$$;'; $fn$ LANGUAGE sql; SELECT 2`;
    expect(splitStatements(sql)).toHaveLength(2);
    expect(splitStatements(sql)[0]).toContain("$fn$ LANGUAGE sql");
  });

  it("does not split on ; inside strings, identifiers or comments", () => {
    const sql = `SELECT 'a;b', "c;d", E'it\\'s;' -- x;y
; /* p; /* nested; */ q; */ SELECT 3`;
    expect(splitStatements(sql)).toEqual([`SELECT 'a;b', "c;d", E'it\\'s;' -- x;y`, `/* p; /* nested; */ q; */ SELECT 3`]);
  });

  it("handles doubled quotes and positional parameters", () => {
    expect(splitStatements(`SELECT 'it''s;fine'; SELECT $1`)).toEqual([`SELECT 'it''s;fine'`, "SELECT $1"]);
  });

  it("drops empty statements and comment-only fragments", () => {
    expect(splitStatements(";; -- nothing\n;  ")).toEqual([]);
  });

  it("normalizes a list whose items hold several statements", () => {
    expect(normalizeStatements(["SELECT 1; SELECT 2", "SELECT 3"])).toEqual(["SELECT 1", "SELECT 2", "SELECT 3"]);
    expect(normalizeStatements(undefined)).toEqual([]);
  });

  it("keeps nested comments whole, and sends an unclosed comment on for the database to refuse", () => {
    expect(splitStatements("/* a /* b */ c */; SELECT 1")).toEqual(["SELECT 1"]);
    expect(splitStatements("SELECT 1; /* never closed")).toEqual(["SELECT 1", "/* never closed"]);
  });

  it("refuses statements fields past MAX_STATEMENTS_LENGTH, counting every item", () => {
    const half = "x".repeat(MAX_STATEMENTS_LENGTH / 2);
    expect(normalizeStatements([half, half])).toEqual([half, half]);
    expect(() => normalizeStatements([half, half, "y"])).toThrow(InvalidRequestError);
    expect(() => normalizeStatements("z".repeat(MAX_STATEMENTS_LENGTH + 1))).toThrow(/at most 65536/);
  });
});

it("refuses a role whose statements are past MAX_STATEMENTS_LENGTH, and stores nothing", async () => {
  const { root } = await open();
  const huge = `CREATE ROLE "{{name}}"; /*${"x".repeat(MAX_STATEMENTS_LENGTH)}*/`;
  await expect(root.write("database/roles/huge", { db_name: "fake", creation_statements: huge })).rejects.toThrow(InvalidRequestError);
  await expect(root.read("database/roles/huge")).rejects.toThrow(/nothing at/);
});

// A generous bound, not a timing test: the splitter was quadratic (";/*" × 50 000 took seconds);
// linear, 1 MiB of any of these takes tens of milliseconds (docs/benchmarks.md, bench/sql-split.ts).
describe("splitStatements on 1 MiB of adversarial text", () => {
  const MiB = 1024 * 1024;
  const inputs: Record<string, string> = {
    "an unclosed /* then text": "/*" + "x".repeat(MiB),
    '";/*" repeated': ";/*".repeat(MiB / 3),
    '"x;/*" repeated': "x;/*".repeat(MiB / 4),
    "an unclosed quote": "'" + "a".repeat(MiB),
    "an unclosed identifier": '"' + "a".repeat(MiB),
    "an unclosed $tag$": "$tag$" + "x".repeat(MiB),
    '"$a$ " repeated': "$a$ ".repeat(MiB / 4),
    "only semicolons": ";".repeat(MiB),
    '"--;\n" repeated': "--;\n".repeat(MiB / 4),
  };
  for (const [name, sql] of Object.entries(inputs)) {
    it(`splits ${name} in under 2 s`, () => {
      const started = performance.now();
      splitStatements(sql);
      expect(performance.now() - started).toBeLessThan(2000);
    });
  }
});
