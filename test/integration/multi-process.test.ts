/**
 * Several engine processes on one PostgresStorage: 1,000 leases expiring together are each revoked
 * exactly once (counted by the revocation statements themselves), and none is left.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock, PostgresStorage } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import type { ChildConfig } from "../support/engine-process.js";
import { openEngineFixture } from "../support/engine-fixture.js";
import { sealedForTest } from "../support/sealed-storage.js";

const db = useTestDatabase();
const CHILD = fileURLToPath(new URL("../support/engine-process.ts", import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Starts an engine process and resolves once it has opened. */
function startChild(config: ChildConfig): Promise<ChildProcess> {
  const child = fork(CHILD, { execArgv: ["--import", "tsx"], env: { ...process.env, VAULTLET_CHILD: JSON.stringify(config) }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`engine process exited early with ${code}`)));
  });
}

function closeChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.send("close");
  });
}

/** Polls `probe` until it returns true, at most `timeoutMs`. */
async function eventually(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("three engine processes on one PostgresStorage", () => {
  it("revoke 1,000 leases expiring together exactly once each, and leave none", { timeout: 120_000 }, async () => {
    const table = "shared_storage";
    const clock = new ManualClock(Date.now());
    await db.query("CREATE TABLE revoke_log (username text NOT NULL, at timestamptz NOT NULL DEFAULT now())");
    const { engine, root } = await openEngineFixture({ database: db, storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table })), clock });
    await root.write("database/config/postgresql", { allowed_roles: "readonly,counted" });
    await root.write("database/roles/counted", {
      db_name: "postgresql",
      creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`,
      revocation_statements: `INSERT INTO revoke_log (username) VALUES ('{{name}}'); DROP ROLE IF EXISTS "{{name}}";`,
      default_ttl: "1h",
    });
    const usernames: string[] = [];
    for (let batch = 0; batch < 50; batch++) {
      const issued = await Promise.all(Array.from({ length: 20 }, () => root.read<{ username: string }>("database/creds/counted")));
      usernames.push(...issued.map((creds) => creds.data!.username));
    }
    await engine.close();

    const config: ChildConfig = {
      mode: "serve",
      storage: { kind: "postgres", url: db.url, table },
      offsetMs: clock.now() + 2 * 3600_000 - Date.now(), // every lease is past its expiry
      revocation: { concurrency: 8, pollIntervalMs: 200, claimMs: 60_000 },
    };
    const engines = await Promise.all([startChild(config), startChild(config), startChild(config)]);
    const leasesLeft = async () => Number((await db.query(`SELECT count(*) AS n FROM vaultlet.${table} WHERE key LIKE 'sys/expire/id/database/%'`)).rows[0]!.n);
    await eventually(async () => (await leasesLeft()) === 0, 90_000);
    await Promise.all(engines.map(closeChild));

    const { rows } = await db.query<{ username: string; times: string }>("SELECT username, count(*) AS times FROM revoke_log GROUP BY username");
    expect(rows).toHaveLength(1000);
    expect(rows.filter((row) => Number(row.times) !== 1)).toEqual([]);
    expect(new Set(rows.map((row) => row.username))).toEqual(new Set(usernames));
    const remaining = await db.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [usernames]);
    expect(remaining.rowCount).toBe(0);
  });

  it("a process killed mid-revocation has its claimed leases taken over by another", { timeout: 60_000 }, async () => {
    const table = "takeover_storage";
    const clock = new ManualClock(Date.now());
    await db.query("CREATE TABLE takeover_log (username text NOT NULL); CREATE TABLE slow_mode (on_ boolean NOT NULL); INSERT INTO slow_mode VALUES (true)");
    const { engine, root } = await openEngineFixture({ database: db, storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table })), clock });
    await root.write("database/config/postgresql", { allowed_roles: "readonly,slow" });
    await root.write("database/roles/slow", {
      db_name: "postgresql",
      creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`,
      revocation_statements: [
        "SELECT pg_sleep(CASE WHEN (SELECT on_ FROM slow_mode) THEN 60 ELSE 0 END);",
        `INSERT INTO takeover_log (username) VALUES ('{{name}}');`,
        `DROP ROLE IF EXISTS "{{name}}";`,
      ],
      default_ttl: "1h",
    });
    const usernames: string[] = [];
    for (let i = 0; i < 20; i++) usernames.push((await root.read<{ username: string }>("database/creds/slow")).data!.username);
    await engine.close();

    const base: ChildConfig = {
      mode: "serve",
      storage: { kind: "postgres", url: db.url, table },
      offsetMs: clock.now() + 2 * 3600_000 - Date.now(),
      revocation: { concurrency: 4, pollIntervalMs: 200, claimMs: 1_500 },
    };
    const doomed = await startChild(base);
    const claimed = async () => Number((await db.query(`SELECT count(*) AS n FROM vaultlet.${table} WHERE claim_owner IS NOT NULL`)).rows[0]!.n);
    await eventually(async () => (await claimed()) === 20, 30_000);
    doomed.kill("SIGKILL");
    await db.query("UPDATE slow_mode SET on_ = false");

    const survivor = await startChild(base);
    const leasesLeft = async () => Number((await db.query(`SELECT count(*) AS n FROM vaultlet.${table} WHERE key LIKE 'sys/expire/id/database/%'`)).rows[0]!.n);
    await eventually(async () => (await leasesLeft()) === 0, 30_000);
    await closeChild(survivor);
    const { rows } = await db.query<{ username: string }>("SELECT username FROM takeover_log");
    expect(rows.map((row) => row.username).sort()).toEqual([...usernames].sort()); // the killed process's attempts rolled back
    expect((await db.query("SELECT 1 FROM pg_roles WHERE rolname = ANY($1)", [usernames])).rowCount).toBe(0);
  });
});
