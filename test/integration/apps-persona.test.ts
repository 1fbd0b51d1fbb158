/**
 * The seed's Step 4 with its two personas, against a real PostgreSQL: the admin writes the apps
 * policy and creates a token; the apps token gets credentials and nothing else.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine, ManualClock, PermissionDeniedError, type Client } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { ADMIN_POLICY } from "../../examples/seed-guide.js";
import { connectionConfigFor } from "../support/engine-fixture.js";

const db = useTestDatabase();

let engine: Engine;
let admin: Client;
let apps: Client;

async function roleExists(username: string): Promise<boolean> {
  const { rowCount } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [username]);
  return rowCount === 1;
}

beforeEach(async () => {
  engine = await Engine.open({ clock: new ManualClock() });
  const root = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/policy/admin", { policy: ADMIN_POLICY });
  admin = engine.client((await root.write("auth/token/create", { policies: ["admin"] })).auth!.client_token);

  // The admin persona, with the guide's admin policy (no root token).
  await admin.write("sys/mounts/database", { type: "database" });
  await admin.write("database/config/postgresql", connectionConfigFor(db, "readonly,other"));
  for (const role of ["readonly", "other"]) {
    await admin.write(`database/roles/${role}`, {
      db_name: "postgresql",
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      default_ttl: "1h",
      max_ttl: "24h",
    });
  }
  await admin.write("sys/policy/apps", { policy: 'path "database/creds/readonly" {capabilities = [ "read" ]}' });
  const { auth } = await admin.write("auth/token/create", { policies: ["apps"] });
  expect(auth).toMatchObject({ policies: ["apps", "default"], lease_duration: 2_764_800, renewable: true });
  apps = engine.client(auth!.client_token);
});

afterEach(async () => {
  await engine.close();
});

describe("apps persona against real PostgreSQL", () => {
  it("reads credentials named after the token, as in the guide", async () => {
    const creds = await apps.read<{ username: string; password: string }>("database/creds/readonly");
    expect(creds.data!.username).toMatch(/^v-token-readonly-[A-Za-z0-9]{20}-\d+$/);
    const client = await db.connectAs(creds.data!.username, creds.data!.password);
    expect((await client.query("SELECT current_user AS u")).rows[0].u).toBe(creds.data!.username);
  });

  it.each([
    ["write a role", (c: Client) => c.write("database/roles/readonly", { db_name: "postgresql" })],
    ["read the config", (c: Client) => c.read("database/config/postgresql")],
    ["read another role's creds", (c: Client) => c.read("database/creds/other")],
    ["mount", (c: Client) => c.write("sys/mounts/elsewhere", { type: "database" })],
    ["write a policy", (c: Client) => c.write("sys/policy/apps", { policy: 'path "*" { capabilities = ["sudo"] }' })],
    ["revoke by prefix", (c: Client) => c.write("sys/leases/revoke-prefix/database/creds/readonly", {})],
  ])("is refused to %s", async (_what, attempt) => {
    await expect(attempt(apps)).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("revoking by prefix needs sudo on top of update", async () => {
    const withoutSudo = 'path "sys/leases/revoke-prefix/*" { capabilities = ["update"] }';
    const withSudo = 'path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }';
    await admin.write("sys/policy/revoker", { policy: withoutSudo });
    await admin.write("sys/policy/revoker-sudo", { policy: withSudo });
    const revoker = engine.client((await admin.write("auth/token/create", { policies: ["revoker"] })).auth!.client_token);
    const sudoer = engine.client((await admin.write("auth/token/create", { policies: ["revoker-sudo"] })).auth!.client_token);
    const creds = await apps.read<{ username: string }>("database/creds/readonly");
    await expect(revoker.write("sys/leases/revoke-prefix/database/creds/readonly", {})).rejects.toThrow(/needs sudo/);
    await sudoer.write("sys/leases/revoke-prefix/database/creds/readonly", {});
    expect(await roleExists(creds.data!.username)).toBe(false);
  });

  it("revoking the apps token drops every database user it obtained", async () => {
    const users = [];
    for (let i = 0; i < 3; i++) users.push((await apps.read<{ username: string }>("database/creds/readonly")).data!.username);
    for (const user of users) expect(await roleExists(user)).toBe(true);
    await apps.write("auth/token/revoke-self", {});
    for (const user of users) expect(await roleExists(user)).toBe(false);
  });
});
