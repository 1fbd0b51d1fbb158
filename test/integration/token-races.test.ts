/**
 * Two engines on separate pools over one PostgresStorage, against real PostgreSQL: `num_uses`
 * holds across them under parallel requests; a revocation racing creds requests and child-token
 * creation leaves no lease record and no login in `pg_roles`, over many timings; a token used on
 * one engine and revoked on the other takes the first engine's leases and users with it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, ManualClock, PermissionDeniedError, PostgresStorage, type Client } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { connectionConfigFor, openEngineFixture } from "../support/engine-fixture.js";
import { sealedForTest } from "../support/sealed-storage.js";

const db = useTestDatabase();
const TABLE = "token_races";
/** This file's role: generated usernames are `v-<display>-tkrace-…`, unique in the cluster to it. */
const ROLE = "tkrace";

let a: Engine;
let b: Engine;
let rootA: Client;

beforeAll(async () => {
  const clock = new ManualClock(Date.now());
  ({ engine: a, root: rootA } = await openEngineFixture({ database: db, storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table: TABLE })), clock }));
  await rootA.write("database/config/postgresql", connectionConfigFor(db, `readonly,${ROLE}`));
  await rootA.write(`database/roles/${ROLE}`, {
    db_name: "postgresql",
    creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
    default_ttl: "1h",
  });
  await rootA.write("sys/policy/apps", { policy: `path "database/creds/${ROLE}" { capabilities = ["read"] }` });
  await rootA.write("sys/policy/maker", { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
  // Opened after the mount exists (mounts enabled later reach other engines through issue 10 item 1).
  b = await Engine.open({ storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table: TABLE })), clock });
}, 60_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

async function createToken(client: Client, data: Record<string, unknown>) {
  return (await client.write("auth/token/create", data)).auth!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Logins this file's role created that still exist. */
async function loginsLeft(): Promise<string[]> {
  const { rows } = await db.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", [`v-%-${ROLE}-%`]);
  return rows.map((row) => row.rolname);
}

/** Lease records of this file's role left in storage (pending ones included). */
async function leasesLeft(): Promise<string[]> {
  const { rows } = await db.query<{ key: string }>(`SELECT key FROM vaultlet.${TABLE} WHERE key LIKE $1`, [`sys/expire/id/database/creds/${ROLE}/%`]);
  return rows.map((row) => row.key);
}

describe("num_uses across two engines on one PostgresStorage", () => {
  it.each([
    { uses: 1, parallel: 10 },
    { uses: 3, parallel: 20 },
  ])("num_uses $uses serves exactly $uses of $parallel parallel requests split over both engines", async ({ uses, parallel }) => {
    const token = (await createToken(rootA, { policies: ["default"], num_uses: uses })).client_token;
    // A request that re-checks its token after dispatch (a lookup-self, a creds read) and is still in
    // flight when the request holding the last use revokes the token is refused, so with those the
    // count served depends on timing; capabilities-self reads nothing of the token afterwards, so
    // exactly the requests that took a use are served.
    const results = await Promise.allSettled(
      Array.from({ length: parallel }, (_, i) => (i % 2 ? b : a).client(token).write("sys/capabilities-self", { paths: ["sys/mounts"] })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(uses);
    for (const result of results) if (result.status === "rejected") expect(result.reason).toBeInstanceOf(PermissionDeniedError);
  });
});

describe("revocation racing requests in flight, on real PostgreSQL", () => {
  it("over 24 timings, no lease record and no login survives a revocation racing creds requests on both engines", { timeout: 120_000 }, async () => {
    let served = 0;
    for (let delay = 0; delay < 24; delay++) {
      const auth = await createToken(rootA, { policies: ["apps"] });
      const revoker = delay % 2 ? rootA : b.client((await createToken(rootA, { policies: ["root"] })).client_token);
      const requests = Promise.allSettled([a, b, b].map((engine) => engine.client(auth.client_token).read(`database/creds/${ROLE}`)));
      await sleep(delay);
      await revoker.write("auth/token/revoke-accessor", { accessor: auth.accessor });
      const results = await requests;
      for (const result of results) if (result.status === "rejected") expect(result.reason).toBeInstanceOf(PermissionDeniedError);
      served += results.filter((result) => result.status === "fulfilled").length;
      expect({ delay, leases: await leasesLeft(), logins: await loginsLeft() }).toEqual({ delay, leases: [], logins: [] });
    }
    expect(served).toBeGreaterThan(0);
  });

  it("over 24 timings, no child token survives its parent's revocation racing its creation on the other engine", { timeout: 120_000 }, async () => {
    for (let delay = 0; delay < 24; delay++) {
      const parent = await createToken(rootA, { policies: ["maker", "apps"] });
      const creations = Promise.allSettled([0, 1].map(() => b.client(parent.client_token).write("auth/token/create", { policies: ["apps"] })));
      await sleep(delay / 2);
      await rootA.write("auth/token/revoke-accessor", { accessor: parent.accessor });
      for (const result of await creations) {
        if (result.status === "rejected") {
          expect(result.reason).toBeInstanceOf(PermissionDeniedError);
          continue;
        }
        const child = result.value.auth!;
        await expect(a.client(child.client_token).read("auth/token/lookup-self"), `delay ${delay}`).rejects.toBeInstanceOf(PermissionDeniedError);
        await expect(rootA.write("auth/token/lookup-accessor", { accessor: child.accessor })).rejects.toThrow();
      }
    }
  });

  it("a token created and used on engine B, revoked on engine A: B's leases and logins are gone", async () => {
    const maker = b.client((await createToken(rootA, { policies: ["root"] })).client_token);
    const token = (await createToken(maker, { policies: ["apps"] })).client_token;
    const app = b.client(token);
    const issued = [await app.read<{ username: string }>(`database/creds/${ROLE}`), await app.read<{ username: string }>(`database/creds/${ROLE}`)];
    expect(await loginsLeft()).toHaveLength(2);
    await rootA.write("auth/token/revoke", { token });
    expect(await loginsLeft()).toEqual([]);
    expect(await leasesLeft()).toEqual([]);
    for (const { lease_id } of issued) await expect(b.client(token).write("sys/leases/renew", { lease_id })).rejects.toThrow();
  });
});
