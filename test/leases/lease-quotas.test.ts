import { describe, expect, it, vi } from "vitest";
import { Engine, InvalidRequestError, ManualClock, MemoryStorage, QuotaExceededError, type EngineEvents } from "../../src/index.js";
import { LeaseSlots, SLOT_GRACE_MS } from "../../src/leases/lease-slots.js";
import { JsonStore } from "../../src/storage/json-store.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";
import { FAST_REVOCATION, mountFakeDatabase, useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture({ revocation: FAST_REVOCATION });

describe("max_leases guardrails", () => {
  it("a role with max_leases: 3 refuses the 4th creds, creating nothing, until a lease is revoked", async () => {
    const { root, db } = await seed();
    await root.write("database/roles/readonly", { max_leases: 3 });
    expect((await root.read("database/roles/readonly")).data).toMatchObject({ max_leases: 3 });
    const issued = [];
    for (let i = 0; i < 3; i++) issued.push(await root.read("database/creds/readonly"));
    const error = await root.read("database/creds/readonly").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ status: 429, code: "quota_exceeded", message: expect.stringMatching(/role "readonly" .* 3 of max_leases 3/) });
    expect(db.users.size).toBe(3);
    expect((await root.list("sys/leases/lookup/database/creds/readonly")).data!.keys).toHaveLength(3);
    await root.write("sys/leases/revoke", { lease_id: issued[0]!.lease_id });
    await expect(root.read("database/creds/readonly")).resolves.toMatchObject({ lease_id: expect.any(String) });
  });

  it("counts leases being issued, so concurrent requests never overshoot", async () => {
    const { root, db } = await seed();
    await root.write("database/roles/readonly", { max_leases: 3 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => root.read("database/creds/readonly")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    expect(results.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason instanceof QuotaExceededError)).toBe(true);
    expect(db.users.size).toBe(3);
  });

  it("a mount's max_leases (sys/mounts/<path>/tune) limits all its roles together", async () => {
    const { root, engine } = await seed();
    await root.write("database/config/fake", { allowed_roles: "readonly,other" });
    await root.write("database/roles/other", { db_name: "fake", creation_statements: "CREATE ROLE x" });
    await root.write("sys/mounts/database/tune", { max_leases: 2 });
    expect((await root.read("sys/mounts/database/tune")).data).toMatchObject({ max_leases: 2 });
    await root.read("database/creds/readonly");
    await root.read("database/creds/other");
    await expect(root.read("database/creds/other")).rejects.toThrow(/mount "database\/" has 2 of max_leases 2/);
    expect(engine.metrics().quotas.rejected).toBe(1);
  });

  it("warns in the response and emits quota.threshold once when a limit passes its threshold", async () => {
    const { root, engine } = await seed();
    await root.write("sys/mounts/database/tune", { max_leases: 5 });
    const events: Array<EngineEvents["quota.threshold"]> = [];
    engine.on("quota.threshold", (payload) => void events.push(payload));
    const warnings = [];
    for (let i = 0; i < 5; i++) warnings.push((await root.read("database/creds/readonly")).warnings);
    expect(warnings.slice(0, 3)).toEqual([null, null, null]);
    expect(warnings[3]).toEqual(['mount "database/" has 4 of max_leases 5 live leases (warning threshold 80%)']);
    expect(warnings[4]).toEqual(['mount "database/" has 5 of max_leases 5 live leases (warning threshold 80%)']);
    expect(events).toEqual([{ scope: "mount", mount: "database/", role: "readonly", count: 4, maxLeases: 5, threshold: 0.8 }]);
  });

  it("counts irrevocable leases: their database users still exist", async () => {
    const { root, clock, db } = await seed();
    await root.write("database/roles/readonly", { max_leases: 1 });
    await root.read("database/creds/readonly");
    db.failDeletes = true;
    await clock.advance("1h");
    await clock.advance("10m");
    await expect(root.read("database/creds/readonly")).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it("refuses a bad max_leases or threshold clearly", async () => {
    const { root } = await seed();
    await expect(root.write("database/roles/readonly", { max_leases: -1 })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.write("database/roles/readonly", { max_leases: "lots" })).rejects.toThrow(/max_leases must be a whole number/);
    await expect(root.write("sys/mounts/database/tune", { max_leases: 1.5 })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(Engine.open({ guardrails: { warningThreshold: 1.5 } })).rejects.toBeInstanceOf(InvalidRequestError);
  });
});

describe("max_leases slots in storage", () => {
  it("frees, at the next open, a slot a crash left without a lease once it is older than the grace", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const db = new FakeDatabase();
    const options = { storage, clock, plugins: [db.plugin()] };
    const first = await Engine.open(options);
    const { rootToken } = await first.initialize();
    const root = first.client(rootToken);
    await mountFakeDatabase(root);
    await root.write("database/roles/readonly", { max_leases: 1 });
    const { uuid } = (await root.read<{ uuid: string }>("sys/mounts/database")).data!;
    await first.close();
    // The crash: a slot taken for a lease whose record was never written.
    const slots = new LeaseSlots(new JsonStore(storage).sub("sys/lease-quota/"));
    await slots.take(LeaseSlots.roleKey(uuid, "readonly"), "database/creds/readonly/lost", 1, 0, clock.now());

    const second = await Engine.open(options);
    await second.leasesRestored();
    await expect(second.client(rootToken).read("database/creds/readonly")).rejects.toMatchObject({ code: "quota_exceeded" }); // within the grace
    await second.close();
    await clock.advance(SLOT_GRACE_MS + 1);
    await using third = await Engine.open(options);
    await vi.waitFor(async () => expect((await third.client(rootToken).read("database/creds/readonly")).lease_id).toBeTruthy(), { timeout: 1_000 });
  });
});
