import { describe, expect, it } from "vitest";
import { normalizeStatements, splitStatements } from "../../../src/secrets/database/sql-statements.js";

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
});
