/**
 * Issue 12 items 3 and 4 against a real PostgreSQL: revoke-force drops the users when the database
 * is reachable (it forgets only what it cannot revoke), and a remounted mount's leases stay
 * renewable and revocable, dropping their users, under their new ids.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { FAST_REVOCATION, openEngineFixture, roleExists, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;

beforeEach(async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", revocation: FAST_REVOCATION });
});

afterEach(async () => {
  await fx.engine.close();
});

describe("revoke-force against PostgreSQL", () => {
  it("drops every user it can reach, and leaves no lease behind", async () => {
    const issued = [await fx.issue("readonly"), await fx.issue("readonly")];
    for (const { username } of issued) expect(await roleExists(db, username)).toBe(true);
    const answer = await fx.root.write("sys/leases/revoke-force/database/creds/readonly", {});
    expect(answer.warnings).toBeNull();
    for (const { username } of issued) expect(await roleExists(db, username)).toBe(false);
    expect((await fx.root.read("sys/leases/count")).data).toMatchObject({ lease_count: 0 });
  });
});

describe("sys/remount against PostgreSQL", () => {
  it("keeps the moved leases renewable and revocable: revoking under the new id drops the user", async () => {
    const issued = [await fx.issue("readonly"), await fx.issue("readonly")];
    await fx.root.write("sys/remount", { from: "database", to: "apps/db" });
    const [first, second] = issued.map((lease) => ({ ...lease, leaseId: lease.leaseId.replace(/^database\//, "apps/db/") }));
    await expect(fx.root.write("sys/leases/renew", { lease_id: first!.leaseId, increment: "30m" })).resolves.toMatchObject({ lease_duration: 1800 });
    await fx.root.write("sys/leases/revoke", { lease_id: first!.leaseId });
    expect(await roleExists(db, first!.username)).toBe(false);
    expect(await roleExists(db, second!.username)).toBe(true);
    // After a restart too: the moved lease finds its (moved) connection config.
    await fx.restart();
    await fx.root.write("sys/leases/revoke-prefix/apps/db/creds/readonly", {});
    expect(await roleExists(db, second!.username)).toBe(false);
    expect((await fx.root.read("apps/db/creds/readonly")).lease_id).toMatch(/^apps\/db\/creds\/readonly\//);
  });
});
