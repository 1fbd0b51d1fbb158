/**
 * Reading grants out of PostgreSQL statement templates (issue 20, item 2): what a role write
 * checks against the roles that reach the engine's storage.
 */
import { describe, expect, it } from "vitest";
import { scanGrants, type GrantFinding } from "../../../src/secrets/database/plugins/postgres/grant-scan.js";

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`;

/** The roles granted, as names. */
function roles(...statements: string[]): string[] {
  return scanGrants(statements).flatMap((finding) => (finding.kind === "role" ? [finding.name] : []));
}

function kinds(kind: GrantFinding["kind"], ...statements: string[]): string[] {
  return scanGrants(statements).flatMap((finding) => (finding.kind === kind ? [finding.kind === "current-user" ? finding.text : finding.name] : []));
}

describe("scanGrants", () => {
  it("reads role grants in every spelling: lists, quotes, case, comments, options", () => {
    expect(roles(CREATE, `GRANT pg_read_all_data TO "{{name}}"`)).toEqual(["pg_read_all_data"]);
    expect(roles(`grant PG_READ_ALL_DATA, "Owner" , /* x */ other to "{{name}}" WITH ADMIN OPTION GRANTED BY admin`)).toEqual(["pg_read_all_data", "Owner", "other"]);
    expect(roles(`GRANT "we""ird" TO x`)).toEqual(['we"ird']);
    expect(roles(`-- GRANT hidden TO x\nGRANT shown TO x`)).toEqual(["shown"]);
  });

  it("skips privilege grants (they have ON), even with column lists", () => {
    expect(roles(`GRANT SELECT (a, b) ON t TO "{{name}}"`, `GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO "{{name}}"`)).toEqual([]);
  });

  it("reads IN ROLE / IN GROUP of CREATE ROLE, USER and GROUP, not ROLE, ADMIN or USER (those add members)", () => {
    expect(roles(`${CREATE} IN ROLE pg_read_all_data, "owner" ADMIN boss`)).toEqual(["pg_read_all_data", "owner"]);
    expect(roles(`CREATE USER "{{name}}" IN GROUP readers`, `CREATE GROUP g ROLE a, b USER c`)).toEqual(["readers"]);
    expect(roles(`CREATE USER MAPPING FOR "{{name}}" SERVER s OPTIONS (user 'x')`)).toEqual([]);
  });

  it("reads ALTER GROUP … ADD USER as a grant of the group", () => {
    expect(roles(`ALTER GROUP owners ADD USER "{{name}}"`, `ALTER GROUP owners DROP USER "{{name}}"`)).toEqual(["owners"]);
  });

  it("names CURRENT_USER, CURRENT_ROLE and SESSION_USER when granted", () => {
    expect(kinds("current-user", `GRANT CURRENT_USER TO "{{name}}"`, `GRANT session_user, x TO y`)).toEqual(["CURRENT_USER", "session_user"]);
  });

  it("reads SUPERUSER, REPLICATION and CREATEROLE of CREATE ROLE and ALTER ROLE, not NOSUPERUSER nor settings", () => {
    expect(kinds("attribute", `CREATE ROLE "{{name}}" SUPERUSER`, `ALTER USER "{{name}}" WITH replication createrole`)).toEqual(["SUPERUSER", "REPLICATION", "CREATEROLE"]);
    expect(kinds("attribute", `CREATE ROLE "{{name}}" NOSUPERUSER PASSWORD 'superuser'`, `ALTER ROLE "{{name}}" SET role TO superuser`)).toEqual([]);
  });

  it("names the schemas a statement qualifies by or names after SCHEMA", () => {
    expect(kinds("schema", `GRANT SELECT ON vaultlet.vaultlet_storage TO x`, `GRANT USAGE ON SCHEMA "Vault", other TO x`)).toEqual(["vaultlet", "Vault", "other"]);
  });

  it("reads grants spelled out in DO blocks and strings, two levels deep", () => {
    expect(roles(`DO $$ BEGIN GRANT pg_write_all_data TO "{{name}}"; END $$`)).toEqual(["pg_write_all_data"]);
    expect(roles(`DO $body$ BEGIN EXECUTE 'GRANT owner TO ' || quote_ident('{{name}}'); END $body$`)).toEqual(["owner"]);
    expect(roles(`DO $$ BEGIN EXECUTE E'GRANT \\'x\\' TO y'; EXECUTE 'GRANT "it''s" TO y'; END $$`)).toContain("it's");
  });

  it("stays linear on hostile input (unterminated quotes, comments, deep strings)", () => {
    const hostile = ["'".repeat(20_000), "/*".repeat(20_000), "$a$".repeat(10_000), "GRANT ".repeat(10_000)];
    const started = performance.now();
    for (const text of hostile) scanGrants([text]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
