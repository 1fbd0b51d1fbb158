import { describe, expect, it } from "vitest";
import { InvalidRequestError, PermissionDeniedError, type Client } from "../../../src/index.js";
import { FAST_REVOCATION, useEngineFixture } from "../../support/engine-fixture.js";

const freshEngine = useEngineFixture({ revocation: FAST_REVOCATION });

async function seed() {
  const setup = await freshEngine();
  await setup.root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
  return setup;
}

async function createToken(client: Client, data: Record<string, unknown>) {
  const { auth } = await client.write("auth/token/create", data);
  return auth!;
}

describe("auth/token/create", () => {
  it("returns Vault's auth block with the default policy added and a 768h TTL", async () => {
    const { root } = await seed();
    const auth = await createToken(root, { policies: ["apps"] });
    expect(auth.client_token).toMatch(/^vls\./);
    expect(auth).toMatchObject({ policies: ["apps", "default"], token_policies: ["apps", "default"], lease_duration: 2_764_800, renewable: true, orphan: false });
  });

  it("lower-cases policy names and honours no_default_policy", async () => {
    const { root } = await seed();
    expect((await createToken(root, { policies: ["APPS"], no_default_policy: true })).policies).toEqual(["apps"]);
  });

  it("refuses a child policy its parent lacks", async () => {
    const { root, engine } = await seed();
    const apps = engine.client((await createToken(root, { policies: ["apps"] })).client_token);
    await root.write("sys/policy/maker", { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
    const maker = engine.client((await createToken(root, { policies: ["maker", "apps"] })).client_token);
    await expect(maker.write("auth/token/create", { policies: ["admin"] })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(maker.write("auth/token/create", { policies: ["root"] })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(maker.write("auth/token/create", { policies: ["apps"] })).resolves.toMatchObject({ auth: { policies: ["apps", "default"] } });
    await expect(apps.write("auth/token/create", {})).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("inherits the parent's policies when none are given", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/maker", { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
    const maker = engine.client((await createToken(root, { policies: ["maker", "apps"] })).client_token);
    expect((await createToken(maker, {})).policies).toEqual(["apps", "default", "maker"]);
  });

  it("needs root or sudo for no_parent", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/maker", { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
    const maker = engine.client((await createToken(root, { policies: ["maker"] })).client_token);
    await expect(maker.write("auth/token/create", { no_parent: true })).rejects.toBeInstanceOf(PermissionDeniedError);
    expect((await createToken(root, { policies: ["apps"], no_parent: true })).orphan).toBe(true);
  });

  it("rejects bad parameters", async () => {
    const { root } = await seed();
    await expect(root.write("auth/token/create", { ttl: "soon" })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.write("auth/token/create", { num_uses: -1 })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.write("auth/token/create", { meta: { a: 1 } })).rejects.toBeInstanceOf(InvalidRequestError);
  });
});

describe("token lifecycle", () => {
  it("expires at its TTL (injected clock)", async () => {
    const { root, engine, clock } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"], ttl: "10m" })).client_token);
    await expect(app.read("auth/token/lookup-self")).resolves.toMatchObject({ data: { ttl: 600, display_name: "token" } });
    await clock.advance("11m");
    await expect(app.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("renews from now, capped by explicit_max_ttl", async () => {
    const { root, engine, clock } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"], ttl: "10m", explicit_max_ttl: "15m" })).client_token);
    await clock.advance("8m");
    const renewed = await app.write("auth/token/renew-self", { increment: "10m" });
    expect(renewed.auth!.lease_duration).toBe(7 * 60);
    expect(renewed.warnings?.[0]).toMatch(/capped/);
    await clock.advance("7m");
    await expect(app.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("renews a periodic token to its period, without a max", async () => {
    const { root, engine, clock } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"], period: "1h" })).client_token);
    for (let i = 0; i < 30; i++) {
      await clock.advance("50m");
      expect((await app.write("auth/token/renew-self", { increment: "5m" })).auth!.lease_duration).toBe(3600);
    }
    await expect(app.read("auth/token/lookup-self")).resolves.toBeTruthy();
  });

  it("revokes children and the leases it created; orphans survive", async () => {
    const { root, engine, db } = await seed();
    await root.write("sys/policy/maker", { policy: 'path "auth/token/create*" { capabilities = ["update"] }' });
    const parent = engine.client((await createToken(root, { policies: ["maker", "apps"] })).client_token);
    const childAuth = await createToken(parent, { policies: ["apps"] });
    const orphanAuth = (await parent.write("auth/token/create-orphan", { policies: ["apps"] })).auth!;
    const child = engine.client(childAuth.client_token);
    const orphan = engine.client(orphanAuth.client_token);
    await parent.read("database/creds/readonly");
    await child.read("database/creds/readonly");
    await orphan.read("database/creds/readonly");
    expect(db.users.size).toBe(3);
    await parent.write("auth/token/revoke-self", {});
    expect(db.users.size).toBe(1);
    await expect(child.read("database/creds/readonly")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(orphan.read("database/creds/readonly")).resolves.toMatchObject({ renewable: true });
    expect(orphanAuth.orphan).toBe(true);
  });

  it("revokes the token's leases when the token expires", async () => {
    const { root, engine, clock, db } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"], ttl: "10m" })).client_token);
    await root.write("database/roles/readonly", { default_ttl: "1h" });
    await app.read("database/creds/readonly");
    await clock.advance("11m");
    expect(db.users.size).toBe(0);
  });

  it("counts num_uses down and dies at zero", async () => {
    const { root, engine } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"], num_uses: 2 })).client_token);
    await app.read("database/creds/readonly");
    await app.read("database/creds/readonly");
    await expect(app.read("database/creds/readonly")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("looks up, lists and revokes by accessor, which never reveals the token", async () => {
    const { root, engine } = await seed();
    const auth = await createToken(root, { policies: ["apps"], meta: { team: "web" } });
    const looked = await root.write("auth/token/lookup-accessor", { accessor: auth.accessor });
    expect(looked.data).toMatchObject({ accessor: auth.accessor, id: "", meta: { team: "web" }, policies: ["apps", "default"] });
    expect(JSON.stringify(looked)).not.toContain(auth.client_token);
    expect((await root.list("auth/token/accessors")).data!.keys).toContain(auth.accessor);
    await root.write("auth/token/revoke-accessor", { accessor: auth.accessor });
    await expect(engine.client(auth.client_token).read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("needs sudo to list accessors", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/lister", { policy: 'path "auth/token/accessors" { capabilities = ["list"] }' });
    const lister = engine.client((await createToken(root, { policies: ["lister"] })).client_token);
    await expect(lister.list("auth/token/accessors")).rejects.toThrow(/sudo/);
  });

  it("stores no token in plain text", async () => {
    const { MemoryStorage, Engine, ManualClock } = await import("../../../src/index.js");
    const storage = new MemoryStorage();
    await using engine = await Engine.open({ storage, clock: new ManualClock() });
    const { rootToken } = await engine.initialize();
    const auth = await createToken(engine.client(rootToken), { policies: ["default"] });
    const decoder = new TextDecoder();
    for (const key of await storage.list("")) {
      const value = decoder.decode(await storage.get(key));
      for (const token of [rootToken, auth.client_token]) {
        expect(key).not.toContain(token);
        expect(value).not.toContain(token);
        expect(value).not.toContain(token.slice(4));
      }
    }
  });
});

describe("policies and capabilities", () => {
  it("writes, reads, lists and deletes policies; built-ins are protected", async () => {
    const { root } = await seed();
    expect((await root.read("sys/policy/apps")).data).toMatchObject({ name: "apps", rules: expect.stringContaining("database/creds/readonly") });
    expect((await root.read("sys/policies/acl/apps")).data).toMatchObject({ name: "apps", policy: expect.any(String) });
    expect((await root.list("sys/policies/acl")).data!.keys).toEqual(["apps", "default", "root"]);
    await expect(root.write("sys/policy/root", { policy: 'path "x" { capabilities = ["read"] }' })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.delete("sys/policy/default")).rejects.toBeInstanceOf(InvalidRequestError);
    await root.write("sys/policy/Mixed", { policy: 'path "x" { capabilities = ["read"] }' });
    expect((await root.read("sys/policy/mixed")).data!.name).toBe("mixed");
    await root.delete("sys/policy/mixed");
    await expect(root.read("sys/policy/mixed")).rejects.toThrow();
  });

  it("refuses bad policy text, naming the line, and stores nothing", async () => {
    const { root } = await seed();
    await expect(root.write("sys/policy/bad", { policy: 'path "x" {\n  capabilities = ["raed"]\n}' })).rejects.toThrow(/line 2.*raed/);
    await expect(root.read("sys/policy/bad")).rejects.toThrow();
  });

  it("applies policy changes to existing tokens at once", async () => {
    const { root, engine } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"] })).client_token);
    await expect(app.read("database/roles/readonly")).rejects.toBeInstanceOf(PermissionDeniedError);
    await root.write("sys/policy/apps", { policy: 'path "database/*" { capabilities = ["read"] }' });
    await expect(app.read("database/roles/readonly")).resolves.toBeTruthy();
  });

  it("answers capabilities-self and capabilities", async () => {
    const { root, engine } = await seed();
    const auth = await createToken(root, { policies: ["apps"] });
    const app = engine.client(auth.client_token);
    const self = await app.write("sys/capabilities-self", { paths: ["database/creds/readonly", "database/roles/readonly"] });
    expect(self.data).toMatchObject({ "database/creds/readonly": ["read"], "database/roles/readonly": ["deny"], capabilities: ["read"] });
    const other = await root.write("sys/capabilities", { token: auth.client_token, paths: ["database/creds/readonly"] });
    expect(other.data!["database/creds/readonly"]).toEqual(["read"]);
  });
});
