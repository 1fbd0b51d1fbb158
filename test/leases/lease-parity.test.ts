/**
 * `sys/leases` as Vault answers it (issue 12, item 3): revoke-force tries the database first, an
 * exact lease id as a revoke prefix, idempotent revocation, Vault's lookup fields, renewals capped
 * by the limits as they are now, and `sync: false`.
 */
import { describe, expect, it } from "vitest";
import { LeaseNotFoundError, LeaseNotRenewableError, MemoryStorage } from "../../src/index.js";
import { FAST_REVOCATION, openEngineFixture, useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture({ revocation: FAST_REVOCATION });

describe("revocation as Vault answers it", () => {
  it("revoke-force revokes what it can: a reachable database loses its users, nothing is forgotten", async () => {
    const { root, db } = await seed();
    for (let i = 0; i < 3; i++) await root.read("database/creds/readonly");
    const answer = await root.write("sys/leases/revoke-force/database/creds/readonly", {});
    expect(db.users.size).toBe(0);
    expect(answer.warnings).toBeNull();
    expect((await root.read("sys/leases/count")).data).toMatchObject({ lease_count: 0 });
  });

  it("revoke-force on an irrevocable lease tries again, and forgets it only if that fails", async () => {
    const { root, db, clock } = await seed();
    const kept = await root.read("database/creds/readonly");
    db.failDeletes = true;
    await clock.advance("1h");
    await clock.advance("10m");
    expect((await root.write("sys/leases/lookup", { lease_id: kept.lease_id })).data).toMatchObject({ state: "irrevocable" });
    db.failDeletes = false; // the database came back: force revokes for real
    await root.write("sys/revoke-force/database/", {});
    expect(db.users.size).toBe(0);
  });

  it("revoke-prefix with an exact lease id revokes that lease, and only it", async () => {
    const { root, db } = await seed();
    const target = await root.read<{ username: string }>("database/creds/readonly");
    const other = await root.read<{ username: string }>("database/creds/readonly");
    await root.write(`sys/leases/revoke-prefix/${target.lease_id}`, {});
    expect(db.users.has(target.data!.username)).toBe(false);
    expect(db.users.has(other.data!.username)).toBe(true);
    await root.write(`sys/revoke-prefix/${other.lease_id}`, {});
    expect(db.users.size).toBe(0);
  });

  it("revoking an unknown lease succeeds on every revoke path", async () => {
    const { root } = await seed();
    for (const path of ["sys/leases/revoke", "sys/revoke"]) {
      await expect(root.write(path, { lease_id: "database/creds/readonly/nope" })).resolves.toMatchObject({ data: null, warnings: null });
    }
    await expect(root.write("sys/leases/revoke/database/creds/readonly/nope", {})).resolves.toMatchObject({ data: null });
    await expect(root.write("sys/leases/revoke-prefix/database/creds/nothing", {})).resolves.toMatchObject({ data: null });
  });

  it("the body's lease_id wins over the path's, as in Vault", async () => {
    const { root, db } = await seed();
    const creds = await root.read("database/creds/readonly");
    await root.write("sys/leases/revoke/database/creds/readonly/other", { lease_id: creds.lease_id });
    expect(db.users.size).toBe(0);
  });

  it("sync: false answers at once and the revocation completes in the background", async () => {
    const { root, db, clock } = await seed();
    const creds = await root.read("database/creds/readonly");
    const pluginDeletes = db.deleteCalls;
    db.failDeletes = true; // the first background attempt fails: the normal retry path takes it
    await expect(root.write("sys/leases/revoke", { lease_id: creds.lease_id, sync: false })).resolves.toMatchObject({ data: null });
    const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
    expect(lookup.data).toMatchObject({ ttl: 0, expire_time: new Date(clock.now()).toISOString() }); // due now, durably
    await clock.advance("1s");
    expect(db.deleteCalls).toBeGreaterThan(pluginDeletes);
    db.failDeletes = false;
    await clock.advance("5s");
    expect(db.users.size).toBe(0);
    await expect(root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it("sync: false on revoke-prefix survives a restart before the background revocation ran", async () => {
    const storage = new MemoryStorage();
    const fx = await openEngineFixture({ storage, revocation: FAST_REVOCATION });
    try {
      for (let i = 0; i < 2; i++) await fx.root.read("database/creds/readonly");
      fx.db.failDeletes = true;
      await fx.root.write("sys/leases/revoke-prefix/database/creds/readonly", { sync: "false" });
      await fx.restart();
      fx.db.failDeletes = false;
      await fx.engine.leasesRestored();
      await fx.clock.advance("5s");
      expect(fx.db.users.size).toBe(0);
    } finally {
      await fx.engine.close();
    }
  });

  it("refuses include_child_namespaces: true on the count, naming it", async () => {
    const { engine, rootToken } = await seed();
    const count = (data: Record<string, unknown>) => engine.request({ token: rootToken, operation: "read", path: "sys/leases/count", data });
    await expect(count({ include_child_namespaces: true })).rejects.toThrow(/include_child_namespaces/);
    await expect(count({ include_child_namespaces: false })).resolves.toMatchObject({ data: { lease_count: 0 } });
  });
});

describe("lease lookups carry Vault's fields", () => {
  it("id, path, issue_time, expire_time, last_renewal, renewable, ttl — and revoke_error after a failure", async () => {
    const { root, clock, db } = await seed();
    const issued = clock.now();
    const creds = await root.read("database/creds/readonly");
    await clock.advance("10m");
    await root.write("sys/leases/renew", { lease_id: creds.lease_id });
    const lookup = (await root.write("sys/leases/lookup", { lease_id: creds.lease_id })).data!;
    expect(lookup).toEqual({
      id: creds.lease_id,
      path: "database/creds/readonly",
      issue_time: new Date(issued).toISOString(),
      expire_time: new Date(clock.now() + 3600_000).toISOString(),
      last_renewal: new Date(clock.now()).toISOString(),
      renewable: true,
      ttl: 3600,
      state: "active",
      revoke_attempts: 0,
      last_error: null,
    });
    db.failDeletes = true;
    await expect(root.write("sys/leases/revoke", { lease_id: creds.lease_id })).rejects.toThrow(/unreachable/);
    const failed = (await root.write("sys/leases/lookup", { lease_id: creds.lease_id })).data!;
    expect(failed).toMatchObject({ revoke_error: expect.stringMatching(/unreachable/), last_error: failed.revoke_error });
  });
});

describe("renewals follow the limits as they are now", () => {
  it("lowering the role's max_ttl shortens renewals of leases already issued", async () => {
    const { root, clock } = await seed();
    const creds = await root.read("database/creds/readonly"); // role max_ttl 24h
    await clock.advance("10m");
    await root.write("database/roles/readonly", { default_ttl: "10m", max_ttl: "30m" });
    const renewed = await root.write("sys/leases/renew", { lease_id: creds.lease_id, increment: "1h" });
    expect(renewed.lease_duration).toBe(20 * 60);
    expect(renewed.warnings?.[0]).toMatch(/capped/);
    await clock.advance("20m");
    await expect(root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it("lowering the mount's max_lease_ttl caps renewals too, and the role's default_ttl is the default increment", async () => {
    const { root, clock } = await seed();
    const creds = await root.read("database/creds/readonly");
    await root.write("database/roles/readonly", { default_ttl: "15m" });
    await clock.advance("5m");
    expect((await root.write("sys/leases/renew", { lease_id: creds.lease_id })).lease_duration).toBe(15 * 60);
    await root.write("sys/mounts/database/tune", { max_lease_ttl: "40m" });
    expect((await root.write("sys/leases/renew", { lease_id: creds.lease_id, increment: "1h" })).lease_duration).toBe(35 * 60);
  });

  it("a lease whose role is gone no longer renews (typed error), and is still revocable", async () => {
    const { root, db } = await seed();
    const creds = await root.read("database/creds/readonly");
    await root.delete("database/roles/readonly");
    const refusal = root.write("sys/leases/renew", { lease_id: creds.lease_id });
    await expect(refusal).rejects.toBeInstanceOf(LeaseNotRenewableError);
    await expect(refusal).rejects.toMatchObject({ code: "lease_not_renewable", status: 400 });
    await root.write("sys/leases/revoke", { lease_id: creds.lease_id });
    expect(db.users.size).toBe(0);
  });
});

describe("sys/leases: the irrevocable leases, as Vault lists them", () => {
  it("lists them soonest first with their mount accessor and error, within limit", async () => {
    const { root, db, clock } = await seed();
    const first = await root.read("database/creds/readonly");
    await clock.advance("1m");
    const second = await root.read("database/creds/readonly");
    db.failDeletes = true;
    await clock.advance("1h");
    await clock.advance("10m");
    const { accessor } = (await root.read<{ accessor: string }>("sys/mounts/database")).data!;
    const all = await root.read("sys/leases", { type: "irrevocable" });
    expect(all.data).toEqual({
      lease_count: 2,
      leases: [first, second].map((creds) => ({ lease_id: creds.lease_id, mount_id: accessor, error: expect.stringMatching(/unreachable/) })),
    });
    const one = await root.read("sys/leases", { type: "irrevocable", limit: "1" });
    expect(one.data).toMatchObject({ lease_count: 1, leases: [{ lease_id: first.lease_id }] });
    expect(one.warnings?.[0]).toMatch(/only the first 1/);
    await expect(root.read("sys/leases", { type: "irrevocable", limit: 0 })).rejects.toThrow(/limit/);
    await expect(root.read("sys/leases", {})).rejects.toThrow(/not found|nothing/i);
  });
});

describe("sys/leases?type=overdue: the leases that should be gone and are not (vaultlet's)", () => {
  it("lists leases past their expiry or whose revocation failed, saying which wait for an unreachable database", async () => {
    const { root, db, clock } = await seed();
    const waiting = await root.read("database/creds/readonly");
    await clock.advance("1m");
    const live = await root.read("database/creds/readonly");
    expect((await root.read("sys/leases", { type: "overdue" })).data).toEqual({ lease_count: 0, leases: [] });
    db.down = true; // unreachable: the revocation at expiry spends no attempt and waits
    await clock.advance("59m");
    const { accessor } = (await root.read<{ accessor: string }>("sys/mounts/database")).data!;
    const overdue = await root.read("sys/leases", { type: "overdue" });
    expect(overdue.data).toEqual({
      lease_count: 1,
      leases: [
        {
          lease_id: waiting.lease_id,
          mount_id: accessor,
          expire_time: expect.any(String),
          error: expect.stringMatching(/ECONNREFUSED/),
          revoke_attempts: 0,
          waiting_for_database: true,
        },
      ],
    });
    db.down = false;
    db.failDeletes = true; // it answers, and refuses: attempts count, no longer waiting for the database
    await root.write("sys/leases/revoke", { lease_id: live.lease_id }).catch(() => undefined);
    const both = await root.read("sys/leases", { type: "overdue", limit: "none" });
    expect(both.data).toMatchObject({ lease_count: 2, leases: [{ lease_id: waiting.lease_id }, { lease_id: live.lease_id, revoke_attempts: 1, waiting_for_database: false }] });
  });
});
