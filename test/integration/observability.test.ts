/**
 * Events, metrics, logging and guardrails against a real PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine, ManualClock, QuotaExceededError, type Client, type EngineEventName, type Logger } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { connectionConfigFor } from "../support/engine-fixture.js";

const db = useTestDatabase();

const CREATE_SQL = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;

interface Creds {
  username: string;
  password: string;
}

let engine: Engine;
let clock: ManualClock;
let root: Client;
let rootToken: string;
let logLines: Array<{ level: string; fields: object; message?: string }>;

function collectingLogger(): Logger {
  const at = (level: string) => (fields: object, message?: string) => void logLines.push({ level, fields: structuredClone(fields), message });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function connectionConfig(roles: string) {
  return connectionConfigFor(db, roles);
}

async function usersOfRole(role: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_roles WHERE rolname LIKE $1", [`v-%-${role}-%`]);
  return Number(rows[0]!.n);
}

beforeEach(async () => {
  logLines = [];
  clock = new ManualClock();
  engine = await Engine.open({ clock, logger: collectingLogger(), revocation: { maxAttempts: 2, initialBackoffMs: 1000 } });
  rootToken = (await engine.initialize()).rootToken;
  root = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/postgresql", connectionConfig("obsro,quotaro,badrevoke"));
  for (const role of ["obsro", "quotaro"]) {
    await root.write(`database/roles/${role}`, { db_name: "postgresql", creation_statements: CREATE_SQL, default_ttl: "1h", max_ttl: "24h" });
  }
});

afterEach(async () => {
  await engine.close();
});

describe("guardrails (real PostgreSQL)", () => {
  it("a role with max_leases: 3 refuses the 4th creds and leaves no role in Postgres; the count resets as leases are revoked", async () => {
    await root.write("database/roles/quotaro", { max_leases: 3 });
    const issued: string[] = [];
    for (let i = 0; i < 3; i++) issued.push((await root.read("database/creds/quotaro")).lease_id);
    expect(await usersOfRole("quotaro")).toBe(3);
    await expect(root.read("database/creds/quotaro")).rejects.toBeInstanceOf(QuotaExceededError);
    expect(await usersOfRole("quotaro")).toBe(3);
    expect((await root.list("sys/leases/lookup/database/creds/quotaro")).data!.keys).toHaveLength(3);

    await root.write("sys/leases/revoke", { lease_id: issued[0]! });
    await root.read("database/creds/quotaro");
    await root.write("sys/leases/revoke-prefix/database/creds/quotaro", {});
    expect(await usersOfRole("quotaro")).toBe(0);
    for (let i = 0; i < 3; i++) await root.read("database/creds/quotaro");
    expect(await usersOfRole("quotaro")).toBe(3);
  });
});

describe("events and metrics (real PostgreSQL)", () => {
  it("fire in order for a lease's life, and metrics match the leases (and the users in Postgres)", async () => {
    const seen: EngineEventName[] = [];
    for (const name of ["lease.created", "lease.renewed", "lease.revoked", "lease.expired"] as const) engine.on(name, () => void seen.push(name));
    const creds = await root.read<Creds>("database/creds/obsro");
    await root.write("sys/leases/renew", { lease_id: creds.lease_id, increment: "2h" });
    await root.write("sys/leases/revoke", { lease_id: creds.lease_id });
    expect(seen).toEqual(["lease.created", "lease.renewed", "lease.revoked"]);

    for (let i = 0; i < 4; i++) await root.read("database/creds/obsro");
    const metrics = engine.metrics();
    expect(metrics.leases.byRole).toEqual([{ mount: "database/", role: "obsro", active: 4, irrevocable: 0 }]);
    expect(await usersOfRole("obsro")).toBe(4);
    await clock.advance("61m");
    expect(engine.metrics().leases.byRole).toEqual([]);
    expect(engine.metrics().leases).toMatchObject({ expired: 4, created: 5 });
    expect(await usersOfRole("obsro")).toBe(0);
  });
});

describe("logging (real PostgreSQL)", () => {
  it("no secret reaches the logger across the seed scenario and its failure paths", async () => {
    await root.write("sys/policy/apps", { policy: 'path "database/creds/obsro" { capabilities = ["read"] }' });
    const { auth } = await root.write("auth/token/create", { policies: ["apps"], ttl: "2h" });
    const apps = engine.client(auth!.client_token);
    const passwords: string[] = [];
    const first = await apps.read<Creds>("database/creds/obsro");
    passwords.push(first.data!.password);
    await apps.write("sys/leases/renew", { lease_id: first.lease_id });
    passwords.push((await apps.read<Creds>("database/creds/obsro")).data!.password);
    await root.write("sys/leases/revoke", { lease_id: first.lease_id });
    await root.write("database/roles/quotaro", { max_leases: 1 });
    passwords.push((await root.read<Creds>("database/creds/quotaro")).data!.password);
    await expect(root.read("database/creds/quotaro")).rejects.toBeInstanceOf(QuotaExceededError);

    // Failure paths: a wrong connection password, creation SQL that echoes the password, a
    // revocation that keeps failing (→ irrevocable), a bad token, a listener that throws.
    await root.write("database/config/wrong", { ...connectionConfig("*"), password: "Wrong-connection-pw-9" }).catch(() => undefined);
    await root.write("database/roles/obsro", { creation_statements: [`SELECT '{{password}}'::int`] });
    await root.read("database/creds/obsro").catch(() => undefined);
    await root.write("database/roles/badrevoke", { db_name: "postgresql", creation_statements: CREATE_SQL, default_ttl: "1h", revocation_statements: [`SELECT '{{name}}'::int`] });
    passwords.push((await root.read<Creds>("database/creds/badrevoke")).data!.password);
    engine.on("lease.revoke_failed", () => {
      throw new Error(`listener failed with ${rootToken}`);
    });
    await clock.advance("1h");
    await clock.advance("5s");
    await engine.client("vls.not-a-real-token").read("sys/mounts").catch(() => undefined);
    await root.write("auth/token/revoke", { token: auth!.client_token });
    await root.delete("sys/mounts/database").catch(() => undefined); // refused: the irrevocable lease stays

    const levels = new Set(logLines.map((line) => line.level));
    expect(levels).toEqual(new Set(["debug", "info", "warn", "error"]));
    expect(logLines.some((line) => line.message === "lease is irrevocable: revocation kept failing")).toBe(true);
    expect(logLines.some((line) => line.message === "event listener threw; the engine carries on")).toBe(true);
    const text = JSON.stringify(logLines);
    const secrets = [rootToken, auth!.client_token, auth!.accessor, db.password, "Wrong-connection-pw-9", "vls.not-a-real-token", ...passwords];
    for (const secret of secrets) expect(text.includes(secret), "a secret reached the logger").toBe(false);
  });
});
