/**
 * The real `node-vault` client against the example HTTP server, through the whole seed scenario on
 * a real PostgreSQL: it must not be able to tell vaultlet from Vault.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import nodeVault from "node-vault";
import { Engine, ManualClock, MemoryStorage } from "../../../src/index.js";
import { useTestDatabase } from "../../support/database.js";
import { serveOnLoopback, type RunningServer } from "../../server/serve.js";
import { READONLY_SQL, APPS_POLICY } from "../../../examples/seed-guide.js";
import { connectionConfigFor } from "../../support/engine-fixture.js";

const db = useTestDatabase();

interface Creds {
  username: string;
  password: string;
}

let engine: Engine;
let server: RunningServer;
let rootToken: string;

function vaultClient(token?: string, extra: nodeVault.VaultOptions = {}): nodeVault.client {
  return nodeVault({ endpoint: server.address, token, ...extra });
}

async function roleExists(username: string): Promise<boolean> {
  const { rowCount } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [username]);
  return rowCount === 1;
}

/** The status and first error of a rejected node-vault call. */
async function failure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error = (await call.then(
    () => expect.fail("the call should have been refused"),
    (e: unknown) => e,
  )) as nodeVault.ApiResponseError;
  return { status: error.response.statusCode, message: error.message };
}

/** Steps 1–3 of the guide, as an admin would script them with node-vault. */
async function configureDatabase(vault: nodeVault.client): Promise<void> {
  await vault.mount({ mount_point: "database", type: "database" });
  await vault.write("database/config/postgresql", connectionConfigFor(db));
  await vault.write("database/roles/readonly", { db_name: "postgresql", creation_statements: READONLY_SQL, default_ttl: "1h", max_ttl: "24h" });
}

/** Step 4 (admin half): the apps policy and a token carrying it. */
async function appsToken(vault: nodeVault.client): Promise<string> {
  await vault.addPolicy({ name: "apps", rules: APPS_POLICY });
  const issuer = vaultClient(vault.token); // tokenCreate switches the client to the new token
  const created = await issuer.tokenCreate({ policies: ["apps"] });
  return created.auth.client_token as string;
}

beforeAll(async () => {
  await db.query("CREATE TABLE products (id int PRIMARY KEY, name text)");
  await db.query("INSERT INTO products VALUES (1, 'widget')");
});

beforeEach(async () => {
  engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock() });
  ({ rootToken } = await engine.initialize());
  server = await serveOnLoopback(engine);
});

afterEach(async () => {
  await server.close();
  await engine.close();
});

describe("node-vault against the example server", () => {
  it("runs the seed scenario: mount, config, role, policy, token, creds, renew, revoke, revoke-prefix", async () => {
    const consoleSpies = (["log", "info", "warn", "error", "debug"] as const).map((method) => vi.spyOn(console, method));
    const admin = vaultClient(rootToken);
    await configureDatabase(admin);
    const mounts = await admin.mounts();
    expect(Object.keys(mounts.data)).toContain("database/");
    expect(mounts["database/"]).toEqual(mounts.data["database/"]); // Vault's legacy top-level copy
    expect((await admin.read("database/roles/readonly")).data).toMatchObject({ db_name: "postgresql", default_ttl: 3600, max_ttl: 86400 });

    const token = await appsToken(admin);
    expect((await admin.getPolicy({ name: "apps" })).rules).toContain("database/creds/readonly");
    const apps = vaultClient(token);
    const first = await apps.generateDatabaseCredentials({ databasePath: "database", name: "readonly" });
    const second = await apps.read("database/creds/readonly");
    expect(first).toMatchObject({ lease_duration: 3600, renewable: true, lease_id: expect.stringMatching(/^database\/creds\/readonly\//) });
    expect(first.data.username).not.toBe(second.data.username);
    const login = await db.connectAs(first.data.username, first.data.password);
    expect((await login.query("SELECT name FROM products")).rows).toEqual([{ name: "widget" }]);

    const renewed = await apps.renew({ lease_id: first.lease_id, increment: 3600 });
    expect(renewed).toMatchObject({ lease_id: first.lease_id, lease_duration: 3600, renewable: true });

    await admin.revoke({ lease_id: first.lease_id });
    expect(await roleExists(first.data.username)).toBe(false);

    const third: { data: Creds } = await apps.read("database/creds/readonly");
    const listed = await admin.list("sys/leases/lookup/database/creds/readonly");
    const listedByQuery = await vaultClient(rootToken, { noCustomHTTPVerbs: true }).list("sys/leases/lookup/database/creds/readonly");
    expect(listed.data.keys).toHaveLength(2);
    expect(listedByQuery.data.keys).toEqual(listed.data.keys);

    await admin.revokePrefix({ path_prefix: "database/creds/readonly" });
    expect(await roleExists(second.data.username)).toBe(false);
    expect(await roleExists(third.data.username)).toBe(false);
    expect((await failure(admin.list("sys/leases/lookup/database/creds/readonly"))).status).toBe(404);
    for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled(); // the server never logs
    vi.restoreAllMocks();
  });

  it("refuses the apps token with 403 everywhere but its creds path", async () => {
    await configureDatabase(vaultClient(rootToken));
    const apps = vaultClient(await appsToken(vaultClient(rootToken)));
    const refusals = await Promise.all([
      failure(apps.write("database/roles/readonly", { db_name: "postgresql" })),
      failure(apps.read("database/config/postgresql")),
      failure(apps.mount({ mount_point: "other", type: "database" })),
      failure(apps.tokenCreate({ policies: ["root"] })),
      failure(apps.revokePrefix({ path_prefix: "database/creds/readonly" })),
    ]);
    for (const refusal of refusals) expect(refusal).toEqual({ status: 403, message: expect.stringMatching(/permission denied/) });
    expect(await failure(vaultClient("not-a-token").read("database/creds/readonly"))).toMatchObject({ status: 403 });
    expect(await failure(vaultClient(undefined).read("sys/mounts"))).toMatchObject({ status: 403 });
  });

  it("surfaces Vault's 400 and 404 with the engine's message", async () => {
    const admin = vaultClient(rootToken);
    await configureDatabase(admin);
    expect(await failure(admin.read("database/roles/missing"))).toMatchObject({ status: 404 });
    expect(await failure(admin.write("database/roles/bad", { db_name: "postgresql", default_ttl: "soon" }))).toEqual({
      status: 400,
      message: expect.stringMatching(/default_ttl/),
    });
    expect(await failure(admin.renew({ lease_id: "database/creds/readonly/nope" }))).toMatchObject({ status: 400, message: expect.stringMatching(/lease not found/) });
  });
});
