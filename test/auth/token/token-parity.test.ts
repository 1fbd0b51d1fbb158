/**
 * Vault parity of the token endpoints (issue 12, items 1 and 2): revoke-orphan, lookups with
 * `id` and `issue_time`, renewals that return the token, create's parameters honoured or
 * refused, sys/capabilities-accessor.
 */
import { describe, expect, it } from "vitest";
import { Engine, InvalidRequestError, ManualClock, MemoryStorage, PermissionDeniedError, type Client } from "../../../src/index.js";
import { FAST_REVOCATION, useEngineFixture } from "../../support/engine-fixture.js";

const freshEngine = useEngineFixture({ revocation: FAST_REVOCATION });

async function seed() {
  const setup = await freshEngine();
  await setup.root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
  await setup.root.write("sys/policy/maker", { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
  return setup;
}

async function createToken(client: Client, data: Record<string, unknown> = {}) {
  return (await client.write("auth/token/create", data)).auth!;
}

describe("auth/token/revoke-orphan", () => {
  it("revokes the token and its leases; its children become orphans and stay valid", async () => {
    const { root, engine, db } = await seed();
    const parentAuth = await createToken(root, { policies: ["maker", "apps"] });
    const parent = engine.client(parentAuth.client_token);
    const childAuth = await createToken(parent, { policies: ["maker", "apps"] });
    const child = engine.client(childAuth.client_token);
    const grandchild = engine.client((await createToken(child, { policies: ["apps"] })).client_token);
    await parent.read("database/creds/readonly");
    await child.read("database/creds/readonly");
    expect(db.users.size).toBe(2);

    await root.write("auth/token/revoke-orphan", { token: parentAuth.client_token });
    await expect(parent.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(db.users.size).toBe(1); // the parent's credential went; the child's stayed
    expect((await child.read("auth/token/lookup-self")).data).toMatchObject({ orphan: true });
    await expect(child.read("database/creds/readonly")).resolves.toMatchObject({ renewable: true });
    // The grandchild is still the child's child: only the direct children were orphaned.
    expect((await grandchild.read("auth/token/lookup-self")).data).toMatchObject({ orphan: false });
    await child.write("auth/token/revoke-self", {});
    await expect(grandchild.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(root.write("auth/token/revoke-orphan", { token: parentAuth.client_token })).rejects.toThrow(/token to revoke not found/);
  });

  it("needs sudo, as Vault's root-protected endpoint", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/orphaner", { policy: 'path "auth/token/revoke-orphan" { capabilities = ["update"] }' });
    const orphaner = engine.client((await createToken(root, { policies: ["orphaner"] })).client_token);
    const victim = await createToken(root, { policies: ["apps"] });
    await expect(orphaner.write("auth/token/revoke-orphan", { token: victim.client_token })).rejects.toThrow(/needs sudo/);
    await expect(engine.client(victim.client_token).read("auth/token/lookup-self")).resolves.toBeTruthy();
    await expect(root.write("auth/token/revoke-orphan", {})).rejects.toThrow(/token is required/);
  });

  it("a child created while its parent is revoked with revoke-orphan is either orphaned or undone, never left a child", async () => {
    const { root, engine, storage } = await seed();
    for (let round = 0; round < 10; round++) {
      const parentAuth = await createToken(root, { policies: ["maker", "apps"] });
      const parent = engine.client(parentAuth.client_token);
      const [created] = await Promise.allSettled([
        parent.write("auth/token/create", { policies: ["apps"] }),
        root.write("auth/token/revoke-orphan", { token: parentAuth.client_token }),
      ]);
      if (created.status === "fulfilled") {
        const lookup = await engine.client(created.value.auth!.client_token).read("auth/token/lookup-self").catch(() => undefined);
        if (lookup) expect(lookup.data!.orphan).toBe(true);
      }
      expect((await storage.list(`sys/token/parent/${parentAuth.accessor}/`)).length).toBe(0);
    }
  });
});

describe("lookups", () => {
  it("lookup and lookup-self return the token as id and issue_time; lookup-accessor returns id \"\"", async () => {
    const { root, engine, clock, rootToken } = await seed();
    const auth = await createToken(root, { policies: ["apps"], ttl: "1h", display_name: "web" });
    const app = engine.client(auth.client_token);
    const issued = new Date(clock.now()).toISOString();
    const self = (await app.read("auth/token/lookup-self")).data!;
    expect(self).toMatchObject({
      id: auth.client_token, accessor: auth.accessor, issue_time: issued, creation_ttl: 3600, ttl: 3600, renewable: true, orphan: false,
      path: "auth/token/create", policies: ["apps", "default"], display_name: "token-web", entity_id: "", type: "service", num_uses: 0,
    });
    expect((await root.write("auth/token/lookup", { token: auth.client_token })).data).toMatchObject({ id: auth.client_token, issue_time: issued });
    expect((await root.write("auth/token/lookup-accessor", { accessor: auth.accessor })).data).toMatchObject({ id: "", issue_time: issued });
    expect((await root.read("auth/token/lookup")).data!.policies).toEqual(["root"]); // GET without a token: the caller's own
    const byQuery = await engine.request({ token: rootToken, operation: "read", path: "auth/token/lookup", data: { token: auth.client_token } });
    expect(byQuery.data).toMatchObject({ id: auth.client_token, accessor: auth.accessor });
    expect(self.period).toBeUndefined(); // Vault shows period only for periodic tokens
    expect((await root.read("auth/token/lookup-self")).data).toMatchObject({ issue_time: expect.any(String), expire_time: null, ttl: 0, renewable: false });
  });

  it("the token in id and client_token never reaches the audit trail unhashed", async () => {
    const entries: unknown[] = [];
    await using engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock(), auditSinks: { memory: (entry) => void entries.push(entry) } });
    const root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
    const auth = await createToken(root, { policies: ["default"], ttl: "1h" });
    const app = engine.client(auth.client_token);
    await app.read("auth/token/lookup-self");
    await app.write("auth/token/renew-self", {});
    await root.write("auth/token/lookup", { token: auth.client_token });
    await root.write("auth/token/renew", { token: auth.client_token });
    expect(entries.length).toBeGreaterThan(8);
    expect(JSON.stringify(entries)).not.toContain(auth.client_token.slice(4));
  });

  it("shows last_renewal after a renewal", async () => {
    const { root, engine, clock } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"], ttl: "1h" })).client_token);
    expect((await app.read("auth/token/lookup-self")).data!.last_renewal).toBeUndefined();
    await clock.advance("10m");
    await app.write("auth/token/renew-self", {});
    const data = (await app.read("auth/token/lookup-self")).data!;
    expect(data.last_renewal).toBe(new Date(clock.now()).toISOString());
    expect(data.last_renewal_time).toBe(Math.floor(clock.now() / 1000));
  });

  it("a lookup of a bad token is a 403, as Vault's", async () => {
    const { root } = await seed();
    await expect(root.write("auth/token/lookup", { token: "vls.nope" })).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});

describe("renewals return the token where Vault does", () => {
  it("renew-self and renew give the token in auth.client_token; renew-accessor gives \"\"", async () => {
    const { root, engine } = await seed();
    const auth = await createToken(root, { policies: ["apps"], ttl: "1h" });
    expect((await engine.client(auth.client_token).write("auth/token/renew-self", {})).auth).toMatchObject({
      client_token: auth.client_token, accessor: auth.accessor, lease_duration: 3600,
    });
    expect((await root.write("auth/token/renew", { token: auth.client_token })).auth!.client_token).toBe(auth.client_token);
    expect((await root.write("auth/token/renew-accessor", { accessor: auth.accessor })).auth!.client_token).toBe("");
  });
});

describe("revocation is idempotent, as Vault's", () => {
  it("revoking a token or accessor that is gone succeeds (with Vault's warning for the accessor)", async () => {
    const { root } = await seed();
    const auth = await createToken(root, { policies: ["apps"] });
    await root.write("auth/token/revoke", { token: auth.client_token });
    await expect(root.write("auth/token/revoke", { token: auth.client_token })).resolves.toBeTruthy();
    expect((await root.write("auth/token/revoke-accessor", { accessor: auth.accessor })).warnings).toEqual(["No token found with this accessor"]);
    await expect(root.write("auth/token/revoke", {})).rejects.toThrow(/token is required/);
  });
});

describe("auth/token/create parameters", () => {
  it("answers num_uses in the auth block, as Vault's", async () => {
    const { root } = await seed();
    expect((await createToken(root, { policies: ["apps"], num_uses: 3 })).num_uses).toBe(3);
    expect((await createToken(root, { policies: ["apps"] })).num_uses).toBe(0);
  });

  it("honours lease as the deprecated name of ttl (ttl wins)", async () => {
    const { root } = await seed();
    expect((await createToken(root, { policies: ["apps"], lease: "20m" })).lease_duration).toBe(1200);
    expect((await createToken(root, { policies: ["apps"], lease: "20m", ttl: "10m" })).lease_duration).toBe(600);
  });

  it("refuses id, entity_alias and batch tokens with a 400 that names them; accepts their defaults", async () => {
    const { root } = await seed();
    await expect(root.write("auth/token/create", { id: "my-token" })).rejects.toThrow(/^id is not supported/);
    await expect(root.write("auth/token/create", { entity_alias: "web" })).rejects.toThrow(/^entity_alias is not supported/);
    await expect(root.write("auth/token/create", { type: "batch" })).rejects.toThrow(/^type "batch" is not supported/);
    await expect(root.write("auth/token/create", { type: "batch" })).rejects.toBeInstanceOf(InvalidRequestError);
    const ok = await root.write("auth/token/create", { policies: ["apps"], id: "", entity_alias: "", type: "service" });
    expect(ok.warnings ?? []).toEqual([]);
  });

  it("inherits default only when the parent has it (Vault's rule)", async () => {
    const { root, engine } = await seed();
    const bare = engine.client((await createToken(root, { policies: ["maker", "apps"], no_default_policy: true })).client_token);
    expect((await createToken(bare, { policies: ["apps"] })).policies).toEqual(["apps"]);
    expect((await createToken(bare)).policies).toEqual(["apps", "maker"]);
  });
});

describe("auth/token/tidy", () => {
  it("removes stale index records and revokes children a crashed revocation left behind", async () => {
    const { root, engine, storage } = await seed();
    const parentAuth = await createToken(root, { policies: ["maker", "apps"] });
    const child = engine.client((await createToken(engine.client(parentAuth.client_token), { policies: ["apps"] })).client_token);
    const gone = await createToken(root, { policies: ["apps"] });
    // A crash after deleting records: the parent's token record, and another token's record. Each leaves
    // its accessor record and its place among the root token's children: 4 stale records.
    const hashOf = async (accessor: string) => new TextDecoder().decode(await storage.get(`sys/token/accessor/${accessor}`)).replaceAll('"', "");
    await storage.delete(`sys/token/id/${await hashOf(parentAuth.accessor)}`);
    await storage.delete(`sys/token/id/${await hashOf(gone.accessor)}`);
    const { warnings } = await root.write("auth/token/tidy", {});
    expect(warnings).toEqual(["Tidy operation completed: 4 stale index records removed, 1 tokens whose parent was gone revoked"]);
    await expect(child.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
    expect((await root.list("auth/token/accessors")).data!.keys).not.toContain(gone.accessor);
    expect(await storage.list("sys/token/parent/")).toEqual([]);
  });
});

describe("sys/capabilities-accessor", () => {
  it("answers the capabilities of the token behind an accessor, like sys/capabilities", async () => {
    const { root } = await seed();
    const auth = await createToken(root, { policies: ["apps"] });
    const { data } = await root.write("sys/capabilities-accessor", { accessor: auth.accessor, paths: ["database/creds/readonly", "sys/mounts"] });
    expect(data).toEqual({ "database/creds/readonly": ["read"], "sys/mounts": ["deny"], capabilities: ["read"] });
    expect((await root.write("sys/capabilities-accessor", { accessor: auth.accessor, path: "database/creds/readonly" })).data!.capabilities).toEqual(["read"]);
    await expect(root.write("sys/capabilities-accessor", { accessor: "nope", paths: ["x"] })).rejects.toThrow(/invalid accessor/);
    await expect(root.write("sys/capabilities-accessor", { paths: ["x"] })).rejects.toThrow(/accessor is required/);
    await root.write("auth/token/revoke-accessor", { accessor: auth.accessor });
    await expect(root.write("sys/capabilities-accessor", { accessor: auth.accessor, paths: ["x"] })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it("is refused to a token without a policy on it", async () => {
    const { root, engine } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"] })).client_token);
    await expect(app.write("sys/capabilities-accessor", { accessor: "x", paths: ["x"] })).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});
