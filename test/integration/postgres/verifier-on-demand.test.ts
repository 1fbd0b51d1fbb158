/**
 * The PostgreSQL plugin computes a password's SCRAM verifier (about 1 ms of CPU, PBKDF2 with 4,096
 * rounds) only when a statement holds `{{password}}`: a revocation storm's or a NOLOGIN role's
 * creation pays nothing for it, and a login role still gets a verifier, never the plaintext.
 */
import { afterAll, beforeAll, beforeEach, expect, it, vi } from "vitest";
import pg from "pg";
import { postgresPlugin } from "../../../src/index.js";
import { useTestDatabase } from "../../support/database.js";

const verifiers = vi.hoisted(() => ({ computed: 0 }));
vi.mock("../../../src/secrets/database/plugins/postgres/scram.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../../src/secrets/database/plugins/postgres/scram.js")>();
  return {
    ...actual,
    scramSha256Verifier: (...args: Parameters<typeof actual.scramSha256Verifier>) => {
      verifiers.computed++;
      return actual.scramSha256Verifier(...args);
    },
  };
});

const db = useTestDatabase();
let pool: pg.Pool;
beforeAll(() => {
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on("error", () => undefined);
});
afterAll(() => pool.end());
beforeEach(() => void (verifiers.computed = 0));

async function plugin() {
  const instance = postgresPlugin({ name: "verifier-on-demand", pool }).create();
  await instance.initialize({ connectionUrl: "", maxOpenConnections: 2 }, { verifyConnection: false });
  return instance;
}

it("creates a role whose statements hold no {{password}} without computing a verifier", async () => {
  const instance = await plugin();
  await instance.newUser({ username: "v-nopass", password: "Aa1-unused-password0", expiration: new Date(Date.now() + 3600_000), statements: [`CREATE ROLE "{{name}}" NOLOGIN`], rollbackStatements: [] });
  expect(verifiers.computed).toBe(0);
  expect((await db.query("SELECT rolpassword IS NULL AS none FROM pg_authid WHERE rolname = 'v-nopass'")).rows[0]).toEqual({ none: true });
});

it("still sends a verifier when a statement holds {{password}}, in any tag form", async () => {
  const instance = await plugin();
  for (const [i, tag] of ["{{password}}", "{{ password }}", "{{{password}}}", "{{&password}}"].entries()) {
    await instance.newUser({ username: `v-pass-${i}`, password: "Aa1-real-password-00", expiration: new Date(Date.now() + 3600_000), statements: [`CREATE ROLE "{{name}}" LOGIN PASSWORD '${tag}'`], rollbackStatements: [] });
  }
  expect(verifiers.computed).toBe(4);
  const stored = await db.query("SELECT rolpassword FROM pg_authid WHERE rolname LIKE 'v-pass-%'");
  expect(stored.rows.every((row) => String(row.rolpassword).startsWith("SCRAM-SHA-256$4096:"))).toBe(true);
});
