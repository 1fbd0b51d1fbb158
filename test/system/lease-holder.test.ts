/**
 * The holder rule: a token may renew and revoke a lease it holds without a policy granting
 * `sys/leases/renew` or `sys/leases/revoke`, and nothing more.
 */
import { describe, expect, it, vi } from "vitest";
import { Engine, LeaseNotFoundError, PermissionDeniedError, type Client } from "../../src/index.js";
import { useEngineFixture, type EngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture();
const APPS = 'path "database/creds/readonly" { capabilities = ["read"] }';

/** A token with only the apps policy; `bare` drops the default policy too (which grants renew on any lease). */
async function appToken(fx: EngineFixture, bare = false): Promise<Client> {
  await fx.root.write("sys/policy/apps", { policy: APPS });
  const { auth } = await fx.root.write("auth/token/create", { policies: ["apps"], no_default_policy: bare });
  return fx.engine.client(auth!.client_token);
}

const renew = (c: Client, leaseId: string) => c.write("sys/leases/renew", { lease_id: leaseId, increment: "1h" });
const revoke = (c: Client, leaseId: string) => c.write("sys/leases/revoke", { lease_id: leaseId });

describe("the holder of a lease", () => {
  it("renews and revokes its own lease with only a read policy on its creds path", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    await fx.clock.advance("30m");
    const renewed = await renew(app, creds.lease_id);
    expect(renewed).toMatchObject({ lease_id: creds.lease_id, lease_duration: 3600 });
    await revoke(app, creds.lease_id);
    expect(fx.db.users.has(creds.data!.username)).toBe(false);
    await expect(fx.root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it("names the lease in the path as well as in the body", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const creds = await app.read("database/creds/readonly");
    await app.write(`sys/leases/renew/${creds.lease_id}`, {});
    await app.write(`sys/leases/revoke/${creds.lease_id}`, {});
    await expect(fx.root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it("is refused on another token's lease, with the same denial as for a lease that does not exist", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const other = await appToken(fx, true);
    const theirs = await other.read<{ username: string }>("database/creds/readonly");
    const missing = `${theirs.lease_id.slice(0, -4)}zzzz`;
    const denials: string[] = [];
    for (const attempt of [renew(app, theirs.lease_id), renew(app, missing), revoke(app, theirs.lease_id), revoke(app, missing)]) {
      const error = await attempt.then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(PermissionDeniedError);
      denials.push((error as Error).message);
    }
    expect(denials[0]).toBe(denials[1]);
    expect(denials[2]).toBe(denials[3]);
    expect(fx.db.users.has(theirs.data!.username)).toBe(true);
  });

  it("is refused with the default policy too on revoking another token's lease (default grants only renew, as Vault's)", async () => {
    const fx = await seed();
    const app = await appToken(fx);
    const theirs = await (await appToken(fx)).read("database/creds/readonly");
    await expect(revoke(app, theirs.lease_id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(renew(app, theirs.lease_id)).resolves.toMatchObject({ lease_id: theirs.lease_id }); // Vault's default policy
  });

  it("gets no other path from the rule: lookup, revoke-prefix, the old sys/revoke alias, a token's own lease", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const creds = await app.read("database/creds/readonly");
    const self = await app.read<{ accessor: string }>("auth/token/lookup-self").catch(() => undefined);
    expect(self).toBeUndefined(); // no default policy: not even lookup-self
    const { auth } = await fx.root.write("auth/token/create", { policies: ["apps"], no_default_policy: true, ttl: "1h" });
    const tokenLease = (await fx.root.list("sys/leases/lookup/auth/token/create")).data!.keys.map((k) => `auth/token/create/${k}`);
    const owner = fx.engine.client(auth!.client_token);
    for (const attempt of [
      () => app.write("sys/leases/lookup", { lease_id: creds.lease_id }),
      () => app.write("sys/leases/revoke-prefix/database/creds/readonly", {}),
      () => app.write("sys/revoke", { lease_id: creds.lease_id }),
      () => app.write(`sys/revoke/${creds.lease_id}`, {}),
      () => app.write("sys/leases/revoke-force/database/creds/readonly", {}),
      () => app.read(`sys/leases/renew/${creds.lease_id}`),
      ...tokenLease.flatMap((id) => [() => renew(owner, id), () => revoke(owner, id)]),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(PermissionDeniedError);
    }
    expect(tokenLease.length).toBeGreaterThan(0);
  });

  it("checks the lease the route acts on: the body's lease_id over the path's, as Vault resolves it", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const mine = await app.read<{ username: string }>("database/creds/readonly");
    const theirs = await (await appToken(fx, true)).read<{ username: string }>("database/creds/readonly");
    // The path names my lease, the body theirs: the route would act on theirs, so it is refused.
    await expect(app.write(`sys/leases/revoke/${mine.lease_id}`, { lease_id: theirs.lease_id })).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(fx.db.users.has(theirs.data!.username)).toBe(true);
    expect(fx.db.users.has(mine.data!.username)).toBe(true);
    // The path names theirs, the body mine: the route acts on mine, which is the caller's to revoke.
    await app.write(`sys/leases/revoke/${theirs.lease_id}`, { lease_id: mine.lease_id });
    expect(fx.db.users.has(mine.data!.username)).toBe(false);
    expect(fx.db.users.has(theirs.data!.username)).toBe(true);
  });

  it("serves parallel renewals and revocations of its own leases, and refuses the others' in the same burst", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const other = await appToken(fx, true);
    const mine = await Promise.all(Array.from({ length: 8 }, () => app.read<{ username: string }>("database/creds/readonly")));
    const theirs = await Promise.all(Array.from({ length: 4 }, () => other.read<{ username: string }>("database/creds/readonly")));
    const results = await Promise.allSettled([
      ...mine.map((s) => renew(app, s.lease_id)),
      ...theirs.map((s) => renew(app, s.lease_id)),
      ...theirs.map((s) => revoke(app, s.lease_id)),
    ]);
    expect(results.slice(0, 8).every((r) => r.status === "fulfilled")).toBe(true);
    expect(results.slice(8).every((r) => r.status === "rejected" && r.reason instanceof PermissionDeniedError)).toBe(true);
    await Promise.all(mine.map((s) => revoke(app, s.lease_id)));
    for (const s of mine) expect(fx.db.users.has(s.data!.username)).toBe(false);
    for (const s of theirs) expect(fx.db.users.has(s.data!.username)).toBe(true);
  });

  it("loses the right with the lease: a revoked lease's id is denied like any other", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const creds = await app.read("database/creds/readonly");
    await fx.root.write("sys/leases/revoke", { lease_id: creds.lease_id });
    await expect(renew(app, creds.lease_id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(revoke(app, creds.lease_id)).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});

describe("the holder rule yields to the policies (issue 20, item 6)", () => {
  /** The app token of `appToken`, with `extra` policy text added to its apps policy. */
  async function appWith(fx: EngineFixture, extra: string, bare = true): Promise<Client> {
    const app = await appToken(fx, bare);
    await fx.root.write("sys/policy/apps", { policy: `${APPS}\n${extra}` });
    return app;
  }
  const DENY_BOTH = 'path "sys/leases/renew" { capabilities = ["deny"] }\npath "sys/leases/revoke" { capabilities = ["deny"] }';
  const DENIAL = /^permission denied: write on "sys\/leases\/(renew|revoke)[^"]*"$/;

  /** Every renewal and revocation of `leaseId`, in body and path form, is refused with the usual denial, and the user stays. */
  async function expectAllRefused(fx: EngineFixture, app: Client, creds: { lease_id: string; data: { username: string } | null }) {
    for (const attempt of [
      () => renew(app, creds.lease_id),
      () => app.write(`sys/leases/renew/${creds.lease_id}`, {}),
      () => revoke(app, creds.lease_id),
      () => app.write(`sys/leases/revoke/${creds.lease_id}`, {}),
    ]) {
      const error = await attempt().then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(PermissionDeniedError);
      expect((error as Error).message).toMatch(DENIAL);
    }
    expect(fx.db.users.has(creds.data!.username)).toBe(true);
    await expect(fx.root.write("sys/leases/lookup", { lease_id: creds.lease_id })).resolves.toBeDefined();
  }

  it.each([
    ["an explicit deny on sys/leases/renew and sys/leases/revoke", DENY_BOTH],
    ["an explicit deny on the path forms sys/leases/renew/* and sys/leases/revoke/*", 'path "sys/leases/renew/*" { capabilities = ["deny"] }\npath "sys/leases/revoke/*" { capabilities = ["deny"] }'],
    ["an explicit deny on sys/leases/*", 'path "sys/leases/*" { capabilities = ["deny"] }'],
    ["an explicit deny on sys/+/renew and sys/+/revoke", 'path "sys/+/renew" { capabilities = ["deny"] }\npath "sys/+/revoke" { capabilities = ["deny"] }'],
  ])("%s wins over the holder rule, in body and path form", async (_name, extra) => {
    const fx = await seed();
    const app = await appWith(fx, extra);
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    await expectAllRefused(fx, app, creds);
  });

  it("an explicit deny wins over the default policy's renew grant too", async () => {
    const fx = await seed();
    const app = await appWith(fx, DENY_BOTH, false);
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    await expectAllRefused(fx, app, creds);
  });

  it("a deny in another policy of the token wins as well", async () => {
    const fx = await seed();
    await fx.root.write("sys/policy/apps", { policy: APPS });
    await fx.root.write("sys/policy/no-leases", { policy: DENY_BOTH });
    const { auth } = await fx.root.write("auth/token/create", { policies: ["apps", "no-leases"], no_default_policy: true });
    const app = fx.engine.client(auth!.client_token);
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    await expectAllRefused(fx, app, creds);
  });

  it("holds only while the token may still read the lease's creds path", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    for (const policy of [
      'path "database/creds/other" { capabilities = ["read"] }', // grants something else
      'path "database/creds/readonly" { capabilities = ["list"] }', // grants something, not read
      'path "database/creds/readonly" { capabilities = ["deny"] }',
    ]) {
      await fx.root.write("sys/policy/apps", { policy });
      await expectAllRefused(fx, app, creds);
    }
    await fx.root.delete("sys/policy/apps"); // the token's policies grant nothing any more
    await expectAllRefused(fx, app, creds);
    await fx.root.write("sys/policy/apps", { policy: 'path "database/creds/*" { capabilities = ["read"] }' }); // read again, by a glob
    await renew(app, creds.lease_id);
    await revoke(app, creds.lease_id);
    expect(fx.db.users.has(creds.data!.username)).toBe(false);
  });

  it("loses the right when another engine on the same storage takes the read away", async () => {
    const fx = await seed();
    const app = await appToken(fx, true);
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    const other = await Engine.open({ storage: fx.storage, clock: fx.clock, plugins: [fx.db.plugin()] });
    try {
      await other.client(fx.rootToken).write("sys/policy/apps", { policy: 'path "database/creds/other" { capabilities = ["read"] }' });
      await vi.waitFor(() => expect(renew(app, creds.lease_id)).rejects.toBeInstanceOf(PermissionDeniedError), { timeout: 1_000, interval: 20 });
      await expect(revoke(app, creds.lease_id)).rejects.toBeInstanceOf(PermissionDeniedError);
      expect(fx.db.users.has(creds.data!.username)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("does not bypass parameter constraints on the sys/leases paths, in body or path form", async () => {
    const fx = await seed();
    const app = await appWith(
      fx,
      'path "sys/leases/renew" {\n capabilities = ["update"]\n allowed_parameters = { lease_id = [], increment = ["1h"] }\n}\n' +
        'path "sys/leases/revoke" {\n capabilities = ["update"]\n denied_parameters = { sync = [] }\n}',
    );
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    for (const attempt of [
      () => app.write("sys/leases/renew", { lease_id: creds.lease_id, increment: "1000h" }),
      () => app.write(`sys/leases/renew/${creds.lease_id}`, { increment: "1000h" }),
      () => app.write("sys/leases/revoke", { lease_id: creds.lease_id, sync: false }),
      () => app.write(`sys/leases/revoke/${creds.lease_id}`, { sync: false }),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(PermissionDeniedError);
    }
    expect(fx.db.users.has(creds.data!.username)).toBe(true);
    // What the constraints allow still works, in both forms (the path form through the holder rule).
    await expect(app.write(`sys/leases/renew/${creds.lease_id}`, { increment: "1h" })).resolves.toMatchObject({ lease_duration: 3600 });
    await app.write(`sys/leases/revoke/${creds.lease_id}`, {});
    expect(fx.db.users.has(creds.data!.username)).toBe(false);
  });

  it("does not bypass wrapping TTL bounds on the sys/leases paths", async () => {
    const fx = await seed();
    const app = await appWith(fx, 'path "sys/leases/revoke" {\n capabilities = ["update"]\n min_wrapping_ttl = "1m"\n}');
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    await expect(revoke(app, creds.lease_id)).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(fx.db.users.has(creds.data!.username)).toBe(true);
  });

  it("still acts for the holder where the policies only grant something else on sys/", async () => {
    const fx = await seed();
    const app = await appWith(fx, 'path "sys/*" { capabilities = ["read"] }');
    const creds = await app.read<{ username: string }>("database/creds/readonly");
    await renew(app, creds.lease_id);
    await app.write(`sys/leases/revoke/${creds.lease_id}`, {});
    expect(fx.db.users.has(creds.data!.username)).toBe(false);
  });

  it("gives the same denial for a lease held by another token, a missing one, and one the policies deny", async () => {
    const fx = await seed();
    const other = await appToken(fx, true); // before appWith: appToken rewrites the apps policy
    const app = await appWith(fx, 'path "sys/leases/revoke" { capabilities = ["deny"] }');
    const mine = await app.read("database/creds/readonly");
    const theirs = await other.read("database/creds/readonly");
    const missing = `${theirs.lease_id.slice(0, -4)}zzzz`;
    const messages = new Set<string>();
    for (const id of [mine.lease_id, theirs.lease_id, missing]) {
      messages.add(await revoke(app, id).then(() => "allowed", (err: Error) => err.message));
    }
    expect([...messages]).toEqual(['permission denied: write on "sys/leases/revoke"']);
  });
});
