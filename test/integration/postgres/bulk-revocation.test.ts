/**
 * Revocations asked for in bulk (`revoke-prefix`, a token's revocation) against a real PostgreSQL:
 * the users go in one batched call of the plugin (`revokeUsers`), never one `deleteUser` each, and
 * a user the database refuses to revoke fails alone — its lease stays, the others are gone.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PluginError, createPostgresPlugin } from "../../../src/index.js";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { FAST_REVOCATION, openEngineFixture, roleExists, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;
const pluginPrototype = Object.getPrototypeOf(createPostgresPlugin()) as { revokeUsers: () => unknown; deleteUser: () => unknown };

beforeEach(async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", revocation: FAST_REVOCATION });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await fx.engine.close();
});

describe("bulk revocation against PostgreSQL", () => {
  it("revoke-prefix drops every user in one batch, and a refused one fails alone", async () => {
    const issued = await Promise.all(Array.from({ length: 30 }, () => fx.issue("readonly")));
    const tampered = issued[7]!;
    // Its ownership marker no longer matches its lease: revocation must refuse to drop it.
    await db.query(`COMMENT ON ROLE "${tampered.username}" IS 'vaultlet-lease:someone-else-entirely'`);
    const batched = vi.spyOn(pluginPrototype, "revokeUsers");
    const single = vi.spyOn(pluginPrototype, "deleteUser");

    const error = await fx.root.write("sys/leases/revoke-prefix/database/creds/readonly", {}).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(PluginError);
    expect((error as PluginError).message).toMatch(/not created by this lease/);
    expect(batched).toHaveBeenCalledTimes(1);
    expect((batched.mock.calls[0] as unknown[])[0]).toHaveLength(30);
    expect(single).not.toHaveBeenCalled();
    for (const lease of issued) expect(await roleExists(db, lease.username)).toBe(lease === tampered);
    const lookup = await fx.root.write("sys/leases/lookup", { lease_id: tampered.leaseId });
    expect(lookup.data).toMatchObject({ revoke_attempts: 1 });
    expect((await fx.root.read("sys/leases/count")).data).toMatchObject({ lease_count: 1 });
    await db.query(`DROP ROLE "${tampered.username}"`);
  });

  it("revoking a token drops the users of all its leases in one batch", async () => {
    await fx.root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
    const auth = (await fx.root.write("auth/token/create", { policies: ["apps"] })).auth!;
    const app = fx.engine.client(auth.client_token);
    const usernames = await Promise.all(Array.from({ length: 12 }, async () => (await app.read<{ username: string }>("database/creds/readonly")).data!.username));
    const batched = vi.spyOn(pluginPrototype, "revokeUsers");

    await fx.root.write("auth/token/revoke-accessor", { accessor: auth.accessor });

    expect(batched).toHaveBeenCalledTimes(1);
    for (const name of usernames) expect(await roleExists(db, name)).toBe(false);
    expect((await fx.root.read("sys/leases/count")).data).toMatchObject({ lease_count: 0 });
  });
});
