/**
 * The real `node-vault` client over the example HTTP server, on the fake database (issue 12
 * items 3 and 4): revocation as Vault answers it, lease lookups, tune reads, and `sys/remount`
 * with its status — a client written for Vault works unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import nodeVault from "node-vault";
import { Engine, ManualClock, MemoryStorage } from "../../src/index.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";
import { mountFakeDatabase } from "../support/engine-fixture.js";
import { serveOnLoopback, type RunningServer } from "./serve.js";

let engine: Engine;
let server: RunningServer;
let db: FakeDatabase;
let vault: nodeVault.client;
let rootToken: string;

beforeEach(async () => {
  db = new FakeDatabase();
  engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock(Date.UTC(2026, 0, 1)), plugins: [db.plugin()] });
  ({ rootToken } = await engine.initialize());
  await mountFakeDatabase(engine.client(rootToken));
  server = await serveOnLoopback(engine);
  vault = nodeVault({ endpoint: server.address, token: rootToken });
});

afterEach(async () => {
  await server.close();
  await engine.close();
});

describe("node-vault: leases and mounts", () => {
  it("looks up a lease with Vault's fields, revokes it, and revokes it again (idempotent)", async () => {
    const creds = await vault.read("database/creds/readonly");
    const lookup = await vault.write("sys/leases/lookup", { lease_id: creds.lease_id });
    expect(lookup.data).toMatchObject({ id: creds.lease_id, path: "database/creds/readonly", renewable: true, ttl: 3600, last_renewal: null });
    await vault.revoke({ lease_id: creds.lease_id });
    expect(db.users.size).toBe(0);
    await expect(vault.revoke({ lease_id: creds.lease_id })).resolves.toBeDefined();
  });

  it("revokePrefix with an exact lease id, and revoke-force that reaches the database", async () => {
    const one = await vault.read("database/creds/readonly");
    await vault.read("database/creds/readonly");
    await vault.revokePrefix({ path_prefix: one.lease_id });
    expect(db.users.size).toBe(1);
    await vault.write("sys/leases/revoke-force/database/creds", {});
    expect(db.users.size).toBe(0);
  });

  it("answers 202 Accepted to a revocation asked with sync false, and revokes in the background", async () => {
    const creds = await vault.read("database/creds/readonly");
    const response = await fetch(`${server.address}/v1/sys/leases/revoke`, {
      method: "PUT",
      headers: { "X-Vault-Token": rootToken, "Content-Type": "application/json" },
      body: JSON.stringify({ lease_id: creds.lease_id, sync: false }),
    });
    expect(response.status).toBe(202);
    await expect.poll(() => db.users.size).toBe(0);
  });

  it("reads a tune with the TTLs in effect", async () => {
    const tune = await vault.read("sys/mounts/database/tune");
    expect(tune.data).toMatchObject({ default_lease_ttl: 2764800, max_lease_ttl: 2764800, force_no_cache: false });
  });

  it("remounts with its leases and reads the migration status", async () => {
    const creds = await vault.read("database/creds/readonly");
    const moved = await vault.remount({ from: "database", to: "team/db" });
    const status = await vault.read(`sys/remount/status/${moved.data.migration_id}`);
    expect(status.data.migration_info).toEqual({ source_mount: "database/", target_mount: "team/db/", status: "success" });
    await expect(vault.read("database/creds/readonly")).rejects.toMatchObject({ response: { statusCode: 404 } });
    await vault.revoke({ lease_id: creds.lease_id.replace(/^database\//, "team/db/") });
    expect(db.users.size).toBe(0);
  });

  it("refuses an unsupported mount setting with a 400 naming it", async () => {
    await expect(vault.mount({ mount_point: "other", type: "database", seal_wrap: true })).rejects.toMatchObject({
      response: { statusCode: 400 },
      message: expect.stringMatching(/seal_wrap is not supported/),
    });
  });
});
