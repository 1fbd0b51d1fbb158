/**
 * Revocation while the database is unreachable (fake plugin): an outage spends no attempt and
 * makes nothing irrevocable; the waiting leases cost one try per retry, not one per lease; they
 * resume at the next try once it answers, or at once when anything else reaches it. Failures stay
 * per lease when many fall due together.
 */
import { describe, expect, it, vi } from "vitest";
import { FAKE_FAIL } from "../fakes/fake-database-plugin.js";
import { useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture({ revocation: { initialBackoffMs: 1000, maxAttempts: 3, unreachableRetryMs: 10_000 } });

describe("revocation during a database outage", () => {
  it("spends no attempt however long the outage, with one try per retry for all the waiting leases", async () => {
    const { root, clock, db, engine } = await seed();
    const issued = await Promise.all(Array.from({ length: 20 }, () => root.read("database/creds/readonly")));
    db.down = true;
    await clock.advance("61m");
    const afterFirstWave = db.deleteCalls;
    expect(afterFirstWave).toBeLessThanOrEqual(10); // one try for the batch, then a few probes (1 s, 2 s, 4 s, 8 s …)
    for (let i = 0; i < 60; i++) await clock.advance("10s"); // 10 minutes down
    expect(db.deleteCalls - afterFirstWave).toBeLessThanOrEqual(62); // a try every 10 s at most, for all 20 together
    for (const creds of issued) {
      const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
      expect(lookup.data).toMatchObject({ state: "active", revoke_attempts: 0 });
    }
    expect(engine.metrics().revocations.waitingForDatabase).toBe(20);
    expect(engine.metrics().revocations.becameIrrevocable).toBe(0);

    db.down = false;
    await clock.advance("10s"); // the next try succeeds: every waiting lease resumes
    expect(db.users.size).toBe(0);
    expect(engine.metrics().revocations.waitingForDatabase).toBe(0);
  });

  it("resumes the waiting revocations as soon as a credential is created on that database", async () => {
    const { root, clock, db } = await seed();
    const expiring = await Promise.all(Array.from({ length: 5 }, () => root.read<{ username: string }>("database/creds/readonly")));
    db.down = true;
    await clock.advance("61m");
    for (let i = 0; i < 6; i++) await clock.advance("10s"); // tries are 10 s apart now
    db.down = false;
    const fresh = await root.read<{ username: string }>("database/creds/readonly"); // no try is due: the clock stands
    await vi.waitFor(() => expect(expiring.every((creds) => !db.users.has(creds.data!.username))).toBe(true));
    expect(db.users.has(fresh.data!.username)).toBe(true);
  });

  it("a revocation the database refuses still spends attempts and ends irrevocable", async () => {
    const { root, clock, db } = await seed();
    await root.write("database/config/fake", { allowed_roles: "readonly,broken" });
    await root.write("database/roles/broken", { db_name: "fake", creation_statements: "SELECT 1", revocation_statements: [`${FAKE_FAIL}\nSELECT 1`], default_ttl: "1h" });
    const creds = await root.read("database/creds/broken");
    await clock.advance("61m");
    for (let i = 0; i < 5; i++) await clock.advance("10s");
    const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
    expect(lookup.data).toMatchObject({ state: "irrevocable", revoke_attempts: 3 });
    expect(db.users.size).toBe(1);
  });

  it("keeps failures per lease when many fall due together: one bad lease never holds back the rest", async () => {
    const { root, clock, db } = await seed();
    await root.write("database/config/fake", { allowed_roles: "readonly,broken" });
    await root.write("database/roles/broken", { db_name: "fake", creation_statements: "SELECT 1", revocation_statements: [`${FAKE_FAIL}\nSELECT 1`], default_ttl: "1h" });
    const good = await Promise.all(Array.from({ length: 250 }, () => root.read<{ username: string }>("database/creds/readonly")));
    const bad = await root.read<{ username: string }>("database/creds/broken");
    await clock.advance("61m");
    expect(good.every((creds) => !db.users.has(creds.data!.username))).toBe(true);
    expect(db.users.has(bad.data!.username)).toBe(true);
    const lookup = await root.write("sys/leases/lookup", { lease_id: bad.lease_id });
    expect(lookup.data!.revoke_attempts).toBeGreaterThanOrEqual(1); // its own failures, retried on its own
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toMatchObject({ code: "not_found" });
  });
});
