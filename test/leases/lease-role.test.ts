/**
 * A lease's role is a declared field (`SecretSpec.role` → `LeaseRecord.role`), not the database
 * backend's private `internal.role`; records written before the field existed still count right.
 */
import { describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage, QuotaExceededError, type LeaseRecord, type Storage } from "../../src/index.js";
import { LeaseManager } from "../../src/leases/lease-manager.js";
import { LeaseTokenIndex } from "../../src/leases/lease-token-index.js";
import { JsonStore } from "../../src/storage/json-store.js";
import { roleOf } from "../../src/observability/lease-counts.js";
import type { MountEntry } from "../../src/mounts/mount-entry.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";

const LEASES = "sys/expire/id/";

async function openOn(storage: Storage, clock: ManualClock, db: FakeDatabase) {
  return Engine.open({ storage, clock, plugins: [db.plugin()] });
}

async function readRecord(storage: Storage, id: string): Promise<LeaseRecord> {
  return JSON.parse(new TextDecoder().decode(await storage.get(LEASES + id))) as LeaseRecord;
}

async function writeRecord(storage: Storage, record: LeaseRecord): Promise<void> {
  await storage.put(LEASES + record.id, new TextEncoder().encode(JSON.stringify(record)));
}

/** An engine with a `readonly` role limited to `max_leases: 3`. */
async function seeded(storage: Storage, clock: ManualClock, db: FakeDatabase) {
  const engine = await openOn(storage, clock, db);
  const { rootToken } = await engine.initialize();
  const root = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/fake", { plugin_name: "fake-database-plugin", allowed_roles: "*", connection_url: "fake://{{username}}:{{password}}@x", username: "root", password: "rootpassword" });
  await root.write("database/roles/readonly", { db_name: "fake", creation_statements: "CREATE", default_ttl: "1h", max_leases: 3 });
  return { engine, root, rootToken };
}

describe("a lease's role", () => {
  it("the database backend declares it: the record carries `role`, events and metrics report it", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { engine, root } = await seeded(storage, clock, new FakeDatabase());
    const roles: Array<string | null> = [];
    engine.on("lease.created", ({ role }) => void roles.push(role));
    const creds = await root.read("database/creds/readonly");
    expect(await readRecord(storage, creds.lease_id)).toMatchObject({ role: "readonly" });
    expect(roles).toEqual(["readonly"]);
    expect(engine.metrics().leases.byRole).toEqual([{ mount: "database/", role: "readonly", active: 1, irrevocable: 0 }]);
    await engine.close();
  });

  it("is read from the declared field, not from a backend's private data", async () => {
    const clock = new ManualClock(0);
    const created: LeaseRecord[] = [];
    const manager = new LeaseManager(new JsonStore(new MemoryStorage()), clock, () => ({ handle: async () => null }), {}, (event) => {
      if (event.type === "created") created.push(event.lease);
    }, new LeaseTokenIndex(new JsonStore(new MemoryStorage(), "index/")));
    const mount = { path: "things/", uuid: "u1" } as MountEntry;
    const spec = { ttl: { ttl: 60, maxTtl: 60 }, renewable: false, internal: { role: "not-this" }, role: "declared" };
    await manager.issue({ mount, path: "creds/x", tokenAccessor: "acc" }, spec, async () => ({}));
    expect(created[0]!.role).toBe("declared");
    expect(roleOf(created[0]!)).toBe("declared");
    expect(roleOf({ ...created[0]!, role: undefined, internal: { role: "private" } })).toBeNull();
    await manager.close();
  });

  it("records written before the field existed (role only in `internal`) still count after a restart", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const db = new FakeDatabase();
    const first = await seeded(storage, clock, db);
    const issued = [await first.root.read("database/creds/readonly"), await first.root.read("database/creds/readonly")];
    await first.engine.close();
    for (const creds of issued) {
      const { role, ...legacy } = await readRecord(storage, creds.lease_id);
      expect(role).toBe("readonly");
      expect(legacy.internal.role).toBe("readonly");
      await writeRecord(storage, legacy as LeaseRecord);
    }

    const engine = await openOn(storage, clock, db);
    await engine.leasesRestored();
    const root = engine.client(first.rootToken);
    expect(engine.metrics().leases.byRole).toEqual([{ mount: "database/", role: "readonly", active: 2, irrevocable: 0 }]);
    await root.read("database/creds/readonly");
    await expect(root.read("database/creds/readonly")).rejects.toBeInstanceOf(QuotaExceededError);
    const revoked: Array<string | null> = [];
    engine.on("lease.revoked", ({ role }) => void revoked.push(role));
    await root.write("sys/leases/revoke", { lease_id: issued[0]!.lease_id });
    expect(revoked).toEqual(["readonly"]);
    expect(engine.metrics().leases.byRole).toEqual([{ mount: "database/", role: "readonly", active: 2, irrevocable: 0 }]);
    await engine.close();
  });
});
