/** Leases through the engine: issue, lookup, renew, revoke, expiry — on the fake plugin (the pure core). */
import { describe, expect, it } from "vitest";
import { LeaseNotFoundError, NotFoundError } from "../../src/index.js";
import { FAST_REVOCATION, useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture({ revocation: FAST_REVOCATION });

describe("leases (pure core, fake plugin)", () => {
  it("looks up and lists leases", async () => {
    const { root, clock } = await seed();
    const creds = await root.read("database/creds/readonly");
    await clock.advance("10m");
    const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
    expect(lookup.data).toMatchObject({ id: creds.lease_id, renewable: true, ttl: 3000, last_renewal: null });
    expect((await root.list("sys/leases/lookup/database/creds/")).data!.keys).toEqual(["readonly/"]);
    expect((await root.list("sys/leases/lookup/database/creds/readonly")).data!.keys).toEqual([creds.lease_id.split("/").pop()]);
  });

  it("renews from now, moving the user's expiry", async () => {
    const { root, clock, db } = await seed();
    const creds = await root.read<{ username: string }>("database/creds/readonly");
    await clock.advance("30m");
    const renewed = await root.write("sys/leases/renew", { lease_id: creds.lease_id, increment: "1h" });
    expect(renewed.lease_duration).toBe(3600);
    expect(db.users.get(creds.data!.username)!.expiration.getTime()).toBe(clock.now() + 3600_000);
  });

  it("caps a renewal at issue time + max TTL, with a warning", async () => {
    const { root, clock } = await seed();
    await root.write("database/roles/readonly", { default_ttl: "1h", max_ttl: "2h" });
    const creds = await root.read("database/creds/readonly");
    await clock.advance("50m");
    const renewed = await root.write("sys/leases/renew", { lease_id: creds.lease_id, increment: "2h" });
    expect(renewed.lease_duration).toBe(70 * 60);
    expect(renewed.warnings?.[0]).toMatch(/capped/);
    await clock.advance("70m");
    await expect(root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it("revokes a lease: the user is gone and the lease unknown", async () => {
    const { root, db } = await seed();
    const creds = await root.read("database/creds/readonly");
    await root.write("sys/leases/revoke", { lease_id: creds.lease_id });
    expect(db.users.size).toBe(0);
    await expect(root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
    // Revoking it again succeeds (idempotent, as Vault): clean-up scripts may repeat themselves.
    await expect(root.write("sys/leases/revoke", { lease_id: creds.lease_id })).resolves.toMatchObject({ data: null });
  });

  it("revokes by prefix", async () => {
    const { root, db } = await seed();
    for (let i = 0; i < 5; i++) await root.read("database/creds/readonly");
    await root.write("sys/leases/revoke-prefix/database/creds/readonly", {});
    expect(db.users.size).toBe(0);
  });

  it("treats a revoke prefix as a path prefix, not a string prefix", async () => {
    const { root, db } = await seed();
    await root.write("database/config/fake", { allowed_roles: "*" });
    await root.write("database/roles/readonly2", { db_name: "fake", creation_statements: "SELECT 1" });
    await root.read("database/creds/readonly");
    const kept = await root.read("database/creds/readonly2");
    await root.write("sys/leases/revoke-prefix/database/creds/readonly", {});
    expect(db.users.size).toBe(1);
    await expect(root.write("sys/leases/lookup", { lease_id: kept.lease_id })).resolves.toBeTruthy();
  });

  it("revokes automatically when the TTL runs out", async () => {
    const { root, clock, db } = await seed();
    await root.read("database/creds/readonly");
    await clock.advance("59m");
    expect(db.users.size).toBe(1);
    await clock.advance("2m");
    expect(db.users.size).toBe(0);
  });

  it("does not renew an expired or unknown lease", async () => {
    const { root, clock, db } = await seed();
    const creds = await root.read("database/creds/readonly");
    db.failDeletes = true; // keep the lease around past its expiry
    await clock.advance("61m");
    await expect(root.write("sys/leases/renew", { lease_id: creds.lease_id })).rejects.toThrow(/expired/);
    await expect(root.write("sys/leases/renew", { lease_id: "database/creds/readonly/nope" })).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it("retries failed revocations with backoff and ends irrevocable, visible with its error", async () => {
    const { root, clock, db } = await seed();
    const creds = await root.read("database/creds/readonly");
    db.failDeletes = true;
    await clock.advance("1h");
    await clock.advance("10m");
    expect(db.deleteCalls).toBe(3);
    const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
    expect(lookup.data).toMatchObject({ state: "irrevocable", revoke_attempts: 3, last_error: expect.stringMatching(/unreachable/) });
    db.failDeletes = false;
    await clock.advance("1h");
    expect(db.users.size).toBe(0);
  });

  it("force-revokes leases by prefix: forgets only those whose revocation fails", async () => {
    const { root, db } = await seed();
    const creds = await root.read("database/creds/readonly");
    db.failDeletes = true;
    const answer = await root.write("sys/leases/revoke-force/database/creds", {});
    expect(db.users.size).toBe(1); // the database refused: the user stays, the lease is forgotten
    expect(answer.warnings?.[0]).toMatch(/could not be revoked.*database\/creds\/readonly\//);
    await expect(root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it("keeps a single timer however many leases exist", async () => {
    const { root, clock } = await seed();
    for (let i = 0; i < 20; i++) await root.read("database/creds/readonly");
    expect(clock.pendingTimers).toBe(1);
  });

  it("never arms a timer beyond 2^31-1 ms", async () => {
    const { root, clock } = await seed();
    await root.write("database/roles/long", { db_name: "fake", creation_statements: "SELECT 1", default_ttl: "768h", max_ttl: "768h" });
    await root.write("database/config/fake", { allowed_roles: "*" });
    await root.read("database/creds/long");
    const realSetTimer = clock.setTimer.bind(clock);
    const delays: number[] = [];
    clock.setTimer = (fn, ms) => (delays.push(ms), realSetTimer(fn, ms));
    await clock.advance("30d");
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
    expect((await root.list("sys/leases/lookup/database/creds/long")).data!.keys).toHaveLength(1);
    await clock.advance("3d");
    await expect(root.list("sys/leases/lookup/database/creds/long")).rejects.toBeInstanceOf(NotFoundError);
  });
});
