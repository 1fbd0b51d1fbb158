/**
 * The credential lease on a fake database: renewals at 2/3 of each term, rotation at max TTL,
 * the failure paths, and close(). Time moves only with the engine's ManualClock.
 */
import { describe, expect, it } from "vitest";
import {
  CredentialLeaseError,
  PermissionDeniedError,
  openCredentialLease,
  type Client,
  type CredentialLeaseEvents,
  type CredentialLease,
} from "../../src/index.js";
import { CREATE_LOGIN, useEngineFixture, type EngineFixture } from "../support/engine-fixture.js";
import { FAKE_FAIL } from "../fakes/fake-database-plugin.js";

const seed = useEngineFixture();

/** The guide's apps token, without the default policy: only `read` on its creds path. */
async function appsClient(fx: EngineFixture): Promise<Client> {
  await fx.root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
  const { auth } = await fx.root.write("auth/token/create", { policies: ["apps"], no_default_policy: true });
  return fx.engine.client(auth!.client_token);
}

/** A fixture whose readonly role lives 1h, renewable up to `maxTtl`. */
async function fixture(maxTtl = "3h"): Promise<{ fx: EngineFixture; app: Client }> {
  const fx = await seed();
  await fx.root.write("database/roles/readonly", { db_name: "fake", creation_statements: CREATE_LOGIN, default_ttl: "1h", max_ttl: maxTtl });
  return { fx, app: await appsClient(fx) };
}

function record(lease: CredentialLease) {
  const seen: { [K in keyof CredentialLeaseEvents]: CredentialLeaseEvents[K][] } = { rotate: [], renew: [], failure: [] };
  lease.on("rotate", (e) => seen.rotate.push(e)).on("renew", (e) => seen.renew.push(e)).on("failure", (e) => seen.failure.push(e));
  return seen;
}

describe("a credential lease", () => {
  it("renews at 2/3 of each term on the engine's clock, with a token that may only read its creds path", async () => {
    const { fx, app } = await fixture("24h");
    const lease = await openCredentialLease(app, { path: "database/creds/readonly" });
    const seen = record(lease);
    const first = lease.current();
    expect(first.expiresAt.getTime()).toBe(fx.clock.now() + 3600_000);
    await fx.clock.advance("39m");
    expect(seen.renew).toHaveLength(0);
    await fx.clock.advance("1m");
    expect(seen.renew).toHaveLength(1);
    expect(lease.current().expiresAt.getTime()).toBe(fx.clock.now() + 3600_000);
    await fx.clock.advance("10h");
    expect(seen.renew.length).toBeGreaterThanOrEqual(15);
    expect(seen.rotate).toHaveLength(0);
    expect(lease.current().username).toBe(first.username);
    expect(fx.db.canLogin(first.username, first.password, fx.clock.now())).toBe(true);
    await lease.close();
  });

  it("rotates when renewal reaches the max TTL, and revokes the replaced lease", async () => {
    const { fx, app } = await fixture("3h");
    const lease = await openCredentialLease(app, { path: "database/creds/readonly" });
    const seen = record(lease);
    const first = lease.current();
    await fx.clock.advance("2h45m"); // renewals at 40m, 1h20m, 2h, 2h40m (capped at 3h: the last one)
    expect(seen.renew.map((e) => e.final)).toEqual([false, false, false, true]);
    expect(seen.rotate).toHaveLength(0);
    await fx.clock.advance("10m"); // 2/3 of the last 20 minutes: rotation
    expect(seen.rotate).toHaveLength(1);
    const [rotation] = seen.rotate;
    expect(rotation).toMatchObject({ reason: "max_ttl", previous: { username: first.username, leaseId: first.leaseId } });
    expect(rotation!.current.username).not.toBe(first.username);
    expect(lease.current().username).toBe(rotation!.current.username);
    expect(fx.db.users.has(first.username)).toBe(false);
    expect(lease.held).toEqual([rotation!.current.leaseId]);
    await lease.close();
    expect(fx.db.users.size).toBe(0);
  });

  it("keeps replaced leases with holdPrevious until the owner releases them", async () => {
    const { fx, app } = await fixture("3h");
    const lease = await openCredentialLease(app, { path: "database/creds/readonly", holdPrevious: true });
    const first = lease.current();
    await fx.clock.advance("2h55m");
    expect(lease.held).toHaveLength(2);
    expect(fx.db.users.has(first.username)).toBe(true);
    await lease.release(first.leaseId);
    expect(fx.db.users.has(first.username)).toBe(false);
    expect(lease.held).toEqual([lease.current().leaseId]);
    await lease.close();
  });

  it("replaces a lease an admin revoked at its next step", async () => {
    const { fx, app } = await fixture("24h");
    const lease = await openCredentialLease(app, { path: "database/creds/readonly" });
    const seen = record(lease);
    const first = lease.current();
    await fx.root.write("sys/leases/revoke", { lease_id: first.leaseId });
    await fx.clock.advance("40m");
    expect(seen.rotate).toMatchObject([{ reason: "revoked", previous: { leaseId: first.leaseId } }]);
    expect(fx.db.canLogin(lease.current().username, lease.current().password, fx.clock.now())).toBe(true);
    await lease.close();
  });

  it("rotates on request, and only once for a stale lease id", async () => {
    const { app } = await fixture();
    const lease = await openCredentialLease(app, { path: "database/creds/readonly" });
    const seen = record(lease);
    const first = lease.current().leaseId;
    await Promise.all([lease.rotate(first), lease.rotate(first), lease.rotate(first)]);
    expect(seen.rotate).toMatchObject([{ reason: "login_failed" }]);
    await lease.rotate();
    expect(seen.rotate.map((e) => e.reason)).toEqual(["login_failed", "requested"]);
    await lease.close();
  });

  it("retries a renewal the database fails, with backoff, and carries on once it answers", async () => {
    const { fx, app } = await fixture("24h");
    const lease = await openCredentialLease(app, { path: "database/creds/readonly" });
    const seen = record(lease);
    const role = { db_name: "fake", creation_statements: CREATE_LOGIN, default_ttl: "1h", max_ttl: "24h" };
    await fx.root.write("database/roles/readonly", { ...role, renew_statements: [`${FAKE_FAIL}\nSELECT 1`] });
    await fx.clock.advance("40m");
    await fx.clock.advance("3s"); // retries after 1 s and 2 s
    expect(seen.failure.map((e) => [e.action, e.retryInMs, e.final])).toEqual([
      ["renew", 1000, false],
      ["renew", 2000, false],
      ["renew", 4000, false],
    ]);
    await fx.root.write("database/roles/readonly", { ...role, renew_statements: [] });
    await fx.clock.advance("4s");
    expect(seen.renew).toHaveLength(1);
    expect(seen.rotate).toHaveLength(0);
    await lease.close();
  });

  it("stops when the engine closes, and close() then names the leases it could not revoke", async () => {
    const { fx, app } = await fixture("24h");
    const lease = await openCredentialLease(app, { path: "database/creds/readonly" });
    const seen = record(lease);
    await fx.engine.close();
    await fx.clock.advance("40m");
    expect(seen.failure).toMatchObject([{ action: "renew", final: true }]);
    expect(fx.clock.pendingTimers).toBe(0);
    const error = await lease.close().then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(CredentialLeaseError);
    expect((error as Error).message).toContain(lease.info.leaseId);
    expect(() => lease.current()).toThrow(CredentialLeaseError);
  });

  it("close() revokes what it holds, stops its timer, and is idempotent", async () => {
    const { fx, app } = await fixture();
    const before = fx.clock.pendingTimers;
    const lease = await openCredentialLease(app, { path: "database/creds/readonly" });
    expect(fx.clock.pendingTimers).toBe(before + 1);
    await lease.close();
    await lease.close();
    expect(fx.db.users.size).toBe(0);
    expect(fx.clock.pendingTimers).toBe(before);
  });

  it("never puts a password in an event", async () => {
    const { fx, app } = await fixture("3h");
    const lease = await openCredentialLease(app, { path: "database/creds/readonly" });
    const seen = record(lease);
    const passwords = [lease.current().password];
    lease.on("rotate", () => passwords.push(lease.current().password));
    await fx.clock.advance("9h");
    expect(seen.rotate.length).toBeGreaterThanOrEqual(3);
    const text = JSON.stringify(seen);
    for (const password of passwords) expect(text).not.toContain(password);
    await lease.close();
  });

  it("refuses a path the token may not read, and options out of range", async () => {
    const { app } = await fixture();
    await expect(openCredentialLease(app, { path: "database/creds/other" })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(openCredentialLease(app, { path: "database/creds/readonly", renewAt: 1 })).rejects.toThrow(/renewAt/);
  });
});
