/**
 * The user's suite of docs/testing.md ("Testing your own application"), harness and engine part:
 * `useTestDatabase()` from `vaultlet/testing` gives a real PostgreSQL database, an engine on a
 * `ManualClock` issues credentials that log in there, and moving the clock past their TTL drops
 * them. (The doc's credential-pool lines are covered by the credential pool's own tests.) Keep the
 * setup here in step with the doc's snippet.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { Engine, MemoryStorage, type Client } from "../../../src/index.js";
import { ManualClock, useTestDatabase } from "../../../src/testing/index.js";

const db = useTestDatabase(); // PG_URL, else testcontainers, else embedded PostgreSQL
const clock = new ManualClock();
let engine: Engine;
let root: Client;

beforeAll(async () => {
  engine = await Engine.open({ storage: new MemoryStorage(), clock });
  root = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/app", {
    plugin_name: "postgresql-database-plugin",
    allowed_roles: "app",
    connection_url: db.connectionUrlTemplate,
    username: db.user,
    password: db.password,
  });
  await root.write("database/roles/app", {
    db_name: "app",
    default_ttl: "1h",
    max_ttl: "2h",
    creation_statements: [`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`],
  });
});
afterAll(() => engine.close());

it("gives the suite a real PostgreSQL, and an engine on a ManualClock whose credentials log in there and expire", async () => {
  expect(db.connectionUrlTemplate).toBe(`postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}`);
  const creds = await root.read("database/creds/app");
  const { username, password } = creds.data as { username: string; password: string };
  const client = await db.connectAs(username, password);
  await expect(client.query<{ who: string }>("SELECT current_user AS who")).resolves.toMatchObject({ rows: [{ who: username }] });
  await client.end();

  await clock.advance("3h"); // past the TTL: the lease is revoked, the user dropped
  const { rowCount } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [username]);
  expect(rowCount).toBe(0);
});

/**
 * A user's suite run by its own vitest: without a globalSetup useTestDatabase() starts the file's
 * own server; with the one-line globalSetup (from the vitest-free entry) every file uses the run's.
 * Both reach the run's server here through PG_URL, so nothing new is started.
 */
it.each([
  { setup: false, name: "works in a suite without a globalSetup" },
  { setup: true, name: "works with postgresGlobalSetup from vaultlet/testing/postgres as the globalSetup" },
])("$name", { timeout: 120_000 }, async ({ setup }) => {
  const repo = resolve(import.meta.dirname, "../../..");
  const dir = await mkdtemp(join(tmpdir(), "vaultlet-user-suite-"));
  try {
    const testing = pathToFileURL(join(repo, "src/testing/index.ts")).href;
    await writeFile(
      join(dir, "app.test.ts"),
      [
        'import { expect, inject, it } from "vitest";',
        `import { useTestDatabase } from ${JSON.stringify(testing)};`,
        "const db = useTestDatabase();",
        'it("has a database", async () => {',
        '  const { rows } = await db.query("SELECT current_database() AS name");',
        "  expect(rows[0]?.name).toBe(db.name);",
        `  expect(inject("pgUrl" as never)).toBe(${setup ? "db.adminUrl" : "undefined"});`,
        "});",
      ].join("\n"),
    );
    const args = ["run", "--root", dir];
    if (setup) {
      const postgres = pathToFileURL(join(repo, "src/testing/postgres/index.ts")).href;
      await writeFile(join(dir, "pg-setup.ts"), `export { postgresGlobalSetup as default } from ${JSON.stringify(postgres)};\n`);
      await writeFile(join(dir, "vitest.config.mjs"), 'export default { test: { globalSetup: ["pg-setup.ts"] } };\n');
    }
    const { stdout } = await promisify(execFile)(process.execPath, [join(repo, "node_modules/vitest/vitest.mjs"), ...args], {
      cwd: dir,
      env: { ...process.env, PG_URL: inject("pgUrl"), VAULTLET_PG: "" },
    });
    expect(stdout).toMatch(/1 passed/);
    if (setup) expect(stdout).toMatch(/\[vaultlet\] .*PostgreSQL .*\(env\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
