/**
 * Token roles (issue 12, item 2): `auth/token/roles/:name` with Vault's fields, tokens created
 * against them with Vault's policy rules, and the role's hold on renewal.
 */
import { describe, expect, it } from "vitest";
import { Engine, InvalidRequestError, ManualClock, MemoryStorage, NotFoundError, PermissionDeniedError, type Client } from "../../../src/index.js";
import { FAST_REVOCATION, useEngineFixture } from "../../support/engine-fixture.js";

const freshEngine = useEngineFixture({ revocation: FAST_REVOCATION });

async function seed() {
  const setup = await freshEngine();
  for (const name of ["apps", "ops", "dev-a", "dev-b", "secret-x"]) {
    await setup.root.write(`sys/policy/${name}`, { policy: `path "${name}/*" { capabilities = ["read"] }` });
  }
  return setup;
}

async function create(client: Client, path: string, data: Record<string, unknown> = {}) {
  const response = await client.write(path, data);
  return { ...response.auth!, warnings: response.warnings };
}

describe("auth/token/roles/:name", () => {
  it("writes, reads back Vault's fields, lists and deletes", async () => {
    const { root } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: "apps, OPS", orphan: true, path_suffix: "v1", token_num_uses: 3, token_period: "1h" });
    const { data } = await root.read("auth/token/roles/web");
    expect(data).toEqual({
      name: "web",
      allowed_policies: ["apps", "ops"],
      disallowed_policies: [],
      allowed_policies_glob: [],
      disallowed_policies_glob: [],
      allowed_entity_aliases: [],
      orphan: true,
      renewable: true,
      path_suffix: "v1",
      period: 0,
      token_period: 3600,
      explicit_max_ttl: 0,
      token_explicit_max_ttl: 0,
      token_no_default_policy: false,
      token_type: "default-service",
      token_num_uses: 3,
    });
    await root.write("auth/token/roles/db", { role_name: "db" }); // Vault's path field, in the body: the same role
    await expect(root.write("auth/token/roles/db", { role_name: "other" })).rejects.toThrow(/differs from the role in the path/);
    expect((await root.list("auth/token/roles")).data!.keys).toEqual(["db", "web"]);
    await root.delete("auth/token/roles/web");
    await expect(root.read("auth/token/roles/web")).rejects.toBeInstanceOf(NotFoundError);
    expect((await root.list("auth/token/roles")).data!.keys).toEqual(["db"]);
  });

  it("an update changes only the fields it gives; legacy period/explicit_max_ttl set the token_ values", async () => {
    const { root } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: ["apps"], renewable: false, period: "30m", explicit_max_ttl: 7200 });
    await root.write("auth/token/roles/web", { orphan: true });
    expect((await root.read("auth/token/roles/web")).data).toMatchObject({
      allowed_policies: ["apps"], renewable: false, orphan: true, period: 1800, token_period: 1800, explicit_max_ttl: 7200, token_explicit_max_ttl: 7200,
    });
    const both = await root.write("auth/token/roles/web", { token_period: "10m", period: "1h" });
    expect(both.warnings).toEqual(["Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value"]);
    expect((await root.read("auth/token/roles/web")).data).toMatchObject({ period: 0, token_period: 600 });
  });

  it("is a create for a new role and an update for an existing one (Vault's existence check)", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/role-creator", { policy: 'path "auth/token/roles/*" { capabilities = ["create"] }' });
    const creator = engine.client((await create(root, "auth/token/create", { policies: ["role-creator"] })).client_token);
    await creator.write("auth/token/roles/fresh", { allowed_policies: "apps" });
    await expect(creator.write("auth/token/roles/fresh", { allowed_policies: "ops" })).rejects.toBeInstanceOf(PermissionDeniedError);
    expect((await root.read("auth/token/roles/fresh")).data!.allowed_policies).toEqual(["apps"]);
  });

  it("refuses what it cannot honour, naming the field, and stores nothing", async () => {
    const { root } = await seed();
    const refused: Array<[Record<string, unknown>, RegExp]> = [
      [{ allowed_entity_aliases: ["web-*"] }, /allowed_entity_aliases is not supported: vaultlet has no identity store/],
      [{ token_bound_cidrs: ["10.0.0.0/8"] }, /token_bound_cidrs is not supported: requests reach vaultlet in-process/],
      [{ bound_cidrs: "10.0.0.0/8" }, /bound_cidrs is not supported/],
      [{ token_type: "batch" }, /token_type "batch" is not supported: vaultlet issues service tokens only/],
      [{ token_type: "default-batch" }, /token_type "default-batch" is not supported/],
      [{ token_type: "bogus" }, /invalid 'token_type' value "bogus"/],
      [{ path_suffix: "../x" }, /path_suffix is invalid/],
      [{ allowed_policies: ["a*"] }, /allowed_policies: "a\*" is not a policy name/],
      [{ token_num_uses: -1 }, /token_num_uses must be a non-negative integer/],
      [{ token_period: "soon" }, /token_period: "soon" is not a duration/],
    ];
    for (const [data, message] of refused) {
      await expect(root.write("auth/token/roles/bad", data)).rejects.toThrow(message);
    }
    await expect(root.read("auth/token/roles/bad")).rejects.toBeInstanceOf(NotFoundError);
    // Empty values are the defaults, not a request for the feature.
    await root.write("auth/token/roles/ok", { allowed_entity_aliases: [], token_bound_cidrs: "", token_type: "service" });
    expect((await root.read("auth/token/roles/ok")).data!.token_type).toBe("service");
  });

  it("takes crafted names as plain names and refuses bad or huge ones", async () => {
    const { root } = await seed();
    for (const name of ["__proto__", "constructor", "hasOwnProperty"]) {
      await root.write(`auth/token/roles/${name}`, { allowed_policies: "apps" });
      expect((await root.read(`auth/token/roles/${name}`)).data).toMatchObject({ name, allowed_policies: ["apps"] });
      const auth = await create(root, `auth/token/create/${name}`);
      expect(auth.policies).toEqual(["apps", "default"]);
    }
    expect((await root.list("auth/token/roles")).data!.keys).toEqual(["__proto__", "constructor", "hasOwnProperty"]);
    await expect(root.write(`auth/token/roles/${"r".repeat(129)}`, {})).rejects.toThrow(/role name is invalid/);
    await expect(root.write("auth/token/roles/-x", {})).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.write("auth/token/roles/a b", {})).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.write("auth/token/create/-x", {})).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it("keeps every field of parallel updates of one role (each merges into the stored one)", async () => {
    const { root } = await seed();
    await root.write("auth/token/roles/web", {});
    await Promise.all([
      root.write("auth/token/roles/web", { allowed_policies: "apps" }),
      root.write("auth/token/roles/web", { orphan: true }),
      root.write("auth/token/roles/web", { path_suffix: "v2" }),
      root.write("auth/token/roles/web", { token_num_uses: 4 }),
    ]);
    expect((await root.read("auth/token/roles/web")).data).toMatchObject({ allowed_policies: ["apps"], orphan: true, path_suffix: "v2", token_num_uses: 4 });
  });
});

describe("auth/token/create/:role_name", () => {
  it("gives the role's allowed_policies (plus default) when none are asked, never the root parent's", async () => {
    const { root } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: "apps" });
    const auth = await create(root, "auth/token/create/web");
    expect(auth.policies).toEqual(["apps", "default"]);
    await expect(root.write("auth/token/create/web", { policies: ["root"] })).rejects.toThrow(/subset of the role's allowed policies/);
    await expect(root.write("auth/token/create/web", { policies: ["ops"] })).rejects.toThrow(/not allowed: ops/);
    expect((await create(root, "auth/token/create/web", { policies: ["apps"], no_default_policy: true })).policies).toEqual(["apps"]);
  });

  it("lets a low-privilege parent mint the role's policies (a role is the operator's grant), and no more", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/web-minter", { policy: 'path "auth/token/create/web" { capabilities = ["update"] }' });
    await root.write("auth/token/roles/web", { allowed_policies: "apps,ops" });
    const minter = engine.client((await create(root, "auth/token/create", { policies: ["web-minter"], no_default_policy: true })).client_token);
    expect((await create(minter, "auth/token/create/web", { policies: ["ops"] })).policies).toEqual(["default", "ops"]);
    await expect(minter.write("auth/token/create/web", { policies: ["secret-x"] })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(minter.write("auth/token/create/other", {})).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(minter.write("auth/token/create", { policies: ["apps"] })).rejects.toBeInstanceOf(PermissionDeniedError);
    // role_name in the body of create is create/<role>: the policy on that path decides.
    await expect(minter.write("auth/token/create", { role_name: "web" })).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("applies allowed globs, disallowed lists and globs, and Vault's default rules", async () => {
    const { root } = await seed();
    await root.write("auth/token/roles/dev", { allowed_policies_glob: "dev-*", disallowed_policies: "dev-b" });
    expect((await create(root, "auth/token/create/dev", { policies: ["dev-a"] })).policies).toEqual(["default", "dev-a"]);
    await expect(root.write("auth/token/create/dev", { policies: ["dev-b"] })).rejects.toThrow(/"dev-b" is disallowed by this role/);
    await expect(root.write("auth/token/create/dev", { policies: ["apps"] })).rejects.toBeInstanceOf(InvalidRequestError);
    // Globs are not given when nothing is asked: the token gets the (empty) allowed list and default.
    expect((await create(root, "auth/token/create/dev")).policies).toEqual(["default"]);

    await root.write("auth/token/roles/nodefault", { disallowed_policies_glob: "def*" });
    expect((await create(root, "auth/token/create/nodefault", { policies: ["apps"] })).policies).toEqual(["apps"]);
    await root.write("auth/token/roles/flagged", { allowed_policies: "apps", token_no_default_policy: true });
    expect((await create(root, "auth/token/create/flagged")).policies).toEqual(["apps"]);
    // Only disallowed lists: the parent's policies are inherited, minus none disallowed.
    await root.write("auth/token/roles/deny-secret", { disallowed_policies: "secret-x" });
    expect((await create(root, "auth/token/create/deny-secret", { policies: ["apps"] })).policies).toEqual(["apps", "default"]);
    await expect(root.write("auth/token/create/deny-secret", { policies: ["secret-x"] })).rejects.toThrow(/disallowed/);
    // Without allowed lists a root parent's own policies pass (Vault's rule) unless root is disallowed.
    expect((await create(root, "auth/token/create/deny-secret")).policies).toEqual(["root"]);
    await root.write("auth/token/roles/no-root", { disallowed_policies: "root" });
    await expect(root.write("auth/token/create/no-root", {})).rejects.toThrow(/"root" is disallowed by this role/);
  });

  it("takes orphan, renewable, num_uses, period and explicit max TTL from the role, and records the role and path", async () => {
    const { root } = await seed();
    await root.write("auth/token/roles/svc", {
      allowed_policies: "apps", orphan: true, renewable: false, token_num_uses: 5, token_explicit_max_ttl: "2h", path_suffix: "v1",
    });
    const auth = await create(root, "auth/token/create/svc", { ttl: "1h", num_uses: 9, explicit_max_ttl: "3h" });
    expect(auth).toMatchObject({ orphan: true, renewable: false, lease_duration: 3600 });
    expect(auth.warnings).toContain("Explicit max TTL specified both during creation call and in role; using the lesser value of 7200 seconds");
    const { data } = await root.write("auth/token/lookup", { token: auth.client_token });
    expect(data).toMatchObject({ role: "svc", path: "auth/token/create/svc/v1", num_uses: 5, explicit_max_ttl: 7200, orphan: true, renewable: false });

    await root.write("auth/token/roles/periodic", { allowed_policies: "apps", token_period: "20m" });
    const periodic = await create(root, "auth/token/create/periodic");
    expect(periodic.lease_duration).toBe(1200);
    expect((await root.write("auth/token/lookup", { token: periodic.client_token })).data).toMatchObject({ period: 1200, orphan: false });
  });

  it("puts the role in the token's lease path, so revoke-prefix revokes the role's tokens", async () => {
    const { root, engine } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: "apps", path_suffix: "v1" });
    const v1 = engine.client((await create(root, "auth/token/create/web", { ttl: "1h" })).client_token);
    const plain = engine.client((await create(root, "auth/token/create", { policies: ["apps"], ttl: "1h" })).client_token);
    await root.write("sys/leases/revoke-prefix/auth/token/create/web/v1", {});
    await expect(v1.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(plain.read("auth/token/lookup-self")).resolves.toBeTruthy();
  });

  it("never gives a root token to a non-root parent, even through a role that allows root", async () => {
    const { root, engine } = await seed();
    await root.write("auth/token/roles/admin", { allowed_policies: "root" });
    await root.write("sys/policy/admin-minter", { policy: 'path "auth/token/create/admin" { capabilities = ["update", "sudo"] }' });
    const minter = engine.client((await create(root, "auth/token/create", { policies: ["admin-minter"] })).client_token);
    await expect(minter.write("auth/token/create/admin", {})).rejects.toThrow(/only a root token can create a root token/);
    expect((await create(root, "auth/token/create/admin")).policies).toEqual(["root"]);
  });

  it("gives the lowest-privilege token nothing: no role read, write, list or create, no revoke-orphan, tidy or capabilities-accessor", async () => {
    const { root, engine } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: "apps" });
    const low = engine.client((await create(root, "auth/token/create", { policies: ["default"] })).client_token);
    const attempts = [
      low.read("auth/token/roles/web"),
      low.list("auth/token/roles"),
      low.write("auth/token/roles/web", { allowed_policies: "root" }),
      low.write("auth/token/roles/new", {}),
      low.delete("auth/token/roles/web"),
      low.write("auth/token/create/web", {}),
      low.write("auth/token/create", { role_name: "web" }),
      low.write("auth/token/revoke-orphan", { token: "vls.x" }),
      low.write("auth/token/tidy", {}),
      low.write("sys/capabilities-accessor", { accessor: "x", paths: ["x"] }),
    ];
    for (const attempt of await Promise.allSettled(attempts)) {
      expect(attempt.status).toBe("rejected");
      expect((attempt as PromiseRejectedResult).reason).toBeInstanceOf(PermissionDeniedError);
    }
    expect((await root.read("auth/token/roles/web")).data!.allowed_policies).toEqual(["apps"]);
  });

  it("refuses no_parent and a period without sudo on a role that does not make orphans; the role's own period needs no sudo", async () => {
    const { root, engine } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: "apps", token_period: "1h" });
    await root.write("sys/policy/web-minter", { policy: 'path "auth/token/create/web" { capabilities = ["update"] }' });
    const minter = engine.client((await create(root, "auth/token/create", { policies: ["web-minter"] })).client_token);
    await expect(minter.write("auth/token/create/web", { no_parent: true })).rejects.toThrow(/^no_parent: the role "web" decides/);
    await expect(minter.write("auth/token/create/web", { period: "2h" })).rejects.toThrow(/needs a root token or sudo/);
    expect((await create(minter, "auth/token/create/web")).lease_duration).toBe(3600);
  });

  it("honours role_name on auth/token/create, and refuses it where it makes no sense", async () => {
    const { root } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: "apps" });
    expect((await create(root, "auth/token/create", { role_name: "web" })).policies).toEqual(["apps", "default"]);
    await expect(root.write("auth/token/create", { role_name: "missing" })).rejects.toThrow(/unknown role missing/);
    await expect(root.write("auth/token/create/web", { role_name: "other" })).rejects.toThrow(/differs from the role in the path/);
    await expect(root.write("auth/token/create-orphan", { role_name: "web" })).rejects.toThrow(/not accepted on create-orphan/);
  });

  it("refuses a role deleted meanwhile, and stops renewing tokens of a deleted role", async () => {
    const { root, engine } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: "apps" });
    const auth = await create(root, "auth/token/create/web", { ttl: "1h" });
    const token = engine.client(auth.client_token);
    await expect(token.write("auth/token/renew-self", {})).resolves.toMatchObject({ auth: { client_token: auth.client_token } });
    await root.delete("auth/token/roles/web");
    await expect(root.write("auth/token/create/web", {})).rejects.toThrow(/unknown role web/);
    await expect(token.write("auth/token/renew-self", {})).rejects.toThrow(/role "web" no longer exists; not renewing/);
    const [leaseKey] = (await root.list("sys/leases/lookup/auth/token/create/web")).data!.keys as string[];
    await expect(root.write("sys/leases/renew", { lease_id: `auth/token/create/web/${leaseKey}` })).rejects.toThrow(/no longer exists/);
    // It still works until it expires.
    await expect(token.read("auth/token/lookup-self")).resolves.toBeTruthy();
  });

  it("renews a role token to the role's current period", async () => {
    const { root, engine, clock } = await seed();
    await root.write("auth/token/roles/periodic", { allowed_policies: "apps", token_period: "1h" });
    const token = engine.client((await create(root, "auth/token/create/periodic")).client_token);
    await root.write("auth/token/roles/periodic", { token_period: "10m" });
    await clock.advance("5m");
    expect((await token.write("auth/token/renew-self", { increment: "1h" })).auth!.lease_duration).toBe(600);
  });

  it("serves parallel creates against a role being rewritten, each with one consistent version", async () => {
    const { root } = await seed();
    await root.write("auth/token/roles/web", { allowed_policies: "apps" });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 4 === 0 ? root.write("auth/token/roles/web", { allowed_policies: i % 8 ? "apps" : "ops" }) : root.write("auth/token/create/web", {}),
      ),
    );
    for (const result of results) {
      if (result.auth) expect([["apps", "default"], ["default", "ops"]]).toContainEqual(result.auth.policies);
    }
  });
});

describe("token roles across engines on one storage", () => {
  it("a role written through one engine is used by another at once, and its deletion too", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    await using a = await Engine.open({ storage, clock });
    const { rootToken } = await a.initialize();
    await using b = await Engine.open({ storage, clock });
    await a.client(rootToken).write("sys/policy/apps", { policy: 'path "apps/*" { capabilities = ["read"] }' });
    await a.client(rootToken).write("auth/token/roles/web", { allowed_policies: "apps" });
    expect((await b.client(rootToken).write("auth/token/create/web", {})).auth!.policies).toEqual(["apps", "default"]);
    expect((await b.client(rootToken).list("auth/token/roles")).data!.keys).toEqual(["web"]);
    await b.client(rootToken).delete("auth/token/roles/web");
    await expect(a.client(rootToken).write("auth/token/create/web", {})).rejects.toThrow(/unknown role web/);
  });
});
