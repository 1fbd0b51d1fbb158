/**
 * Recovery after an outage of any length, with a real stop and start of PostgreSQL (a dedicated
 * embedded server): leases that expire while the server is down spend none of their attempts,
 * none becomes irrevocable however long the outage, and all are revoked within the retry bound
 * once the server is back.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage } from "../../src/index.js";
import { startPostgres, type PostgresServer } from "../support/postgres-server.js";
import { restartable, type RestartablePostgres } from "../support/restart-postgres.js";

let server: PostgresServer;
let control: RestartablePostgres;
let admin: pg.Pool;

beforeAll(async () => {
  server = await startPostgres({ kind: "embedded", onLog: () => undefined });
  control = await restartable(server.url);
  admin = new pg.Pool({ connectionString: server.url, max: 1 });
  admin.on("error", () => undefined); // its idle connection dies with the server
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await control?.release();
  await server?.stop();
}, 60_000);

async function roleExists(name: string): Promise<boolean> {
  const { rowCount } = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
  return rowCount === 1;
}

describe("recovery after PostgreSQL is stopped and started again", () => {
  it("spends no attempts while the server is down, and revokes every expired lease within 10 s of its return", async () => {
    const clock = new ManualClock(Date.now());
    const maxAttempts = 3;
    const engine = await Engine.open({ storage: new MemoryStorage(), clock, revocation: { maxAttempts, initialBackoffMs: 1000, unreachableRetryMs: 10_000 } });
    const root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/pg", {
      plugin_name: "postgresql-database-plugin",
      allowed_roles: "*",
      connection_url: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/postgres`,
      username: server.user,
      password: server.password,
    });
    await root.write("database/roles/app", { db_name: "pg", creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`, default_ttl: "1h" });
    const issued = await Promise.all(Array.from({ length: 6 }, () => root.read<{ username: string }>("database/creds/app")));

    await control.stop();
    await clock.advance("61m"); // every lease falls due: the first tries are refused connections
    for (let i = 0; i < 30; i++) await clock.advance("1m"); // a 30-minute outage: far past maxAttempts × backoff
    for (const creds of issued) {
      const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
      expect(lookup.data).toMatchObject({ revoke_attempts: 0 });
      expect(lookup.data!.state).not.toBe("irrevocable");
    }

    await control.start();
    for (const creds of issued) expect(await roleExists(creds.data!.username)).toBe(true);
    await clock.advance("10s"); // the next try finds the server; every waiting lease resumes
    for (const creds of issued) expect(await roleExists(creds.data!.username)).toBe(false);
    await expect(root.list("sys/leases/lookup/database/creds/app")).rejects.toMatchObject({ code: "not_found" });
    await engine.close();
  }, 120_000);
});
