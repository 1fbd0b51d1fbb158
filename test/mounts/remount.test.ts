/**
 * `sys/remount` (issue 12, item 4): a mount moves with its configuration and its leases, which
 * keep working under their new ids; the old path is gone; refusals; a crash mid-way is finished
 * at the next open; `sys/remount/status/:migration_id`.
 */
import { describe, expect, it, vi } from "vitest";
import { InvalidRequestError, MemoryStorage, NotFoundError, PermissionDeniedError } from "../../src/index.js";
import { FAST_REVOCATION, openEngineFixture, useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture({ revocation: FAST_REVOCATION });

describe("sys/remount", () => {
  it("moves the mount with its configuration and leases; the old path is gone", async () => {
    const { root, db, clock, engine } = await seed();
    const events: unknown[] = [];
    engine.on("mount.remounted", (payload) => void events.push(payload));
    const first = await root.read<{ username: string }>("database/creds/readonly");
    const second = await root.read<{ username: string }>("database/creds/readonly");
    const answer = await root.write<{ migration_id: string }>("sys/remount", { from: "database", to: "team/db" });
    const id = answer.data!.migration_id;
    expect((await root.read(`sys/remount/status/${id}`)).data).toEqual({
      migration_id: id,
      migration_info: { source_mount: "database/", target_mount: "team/db/", status: "success" },
    });
    expect(events).toEqual([{ from: "database/", to: "team/db/", migrationId: id, leasesMoved: 2 }]);

    await expect(root.read("database/roles/readonly")).rejects.toBeInstanceOf(NotFoundError);
    expect((await root.read("team/db/roles/readonly")).data).toMatchObject({ db_name: "fake" }); // its storage came along
    expect(Object.keys((await root.read("sys/mounts")).data!)).toEqual(expect.arrayContaining(["team/db/"]));
    expect(Object.keys((await root.read("sys/mounts")).data!)).not.toContain("database/");

    const movedFirst = first.lease_id.replace(/^database\//, "team/db/");
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toBeInstanceOf(NotFoundError);
    expect((await root.list("sys/leases/lookup/team/db/creds/readonly")).data!.keys).toHaveLength(2);
    expect((await root.write("sys/leases/lookup", { lease_id: movedFirst })).data).toMatchObject({ id: movedFirst, path: "team/db/creds/readonly" });
    expect((await root.read("sys/leases/count")).data).toEqual({ lease_count: 2, counts: { "team/db/": 2 } });

    // Renewal and revocation under the new ids, and expiry, still reach the database.
    await expect(root.write("sys/leases/renew", { lease_id: movedFirst, increment: "2h" })).resolves.toMatchObject({ lease_duration: 7200 });
    await root.write("sys/leases/revoke", { lease_id: movedFirst });
    expect(db.users.has(first.data!.username)).toBe(false);
    expect(db.users.has(second.data!.username)).toBe(true);
    await clock.advance("61m");
    expect(db.users.size).toBe(0);
    // And the moved mount issues new leases under its new path.
    expect((await root.read("team/db/creds/readonly")).lease_id).toMatch(/^team\/db\/creds\/readonly\//);
  });

  it("revoke-prefix on the new path reaches the moved leases", async () => {
    const { root, db } = await seed();
    for (let i = 0; i < 3; i++) await root.read("database/creds/readonly");
    await root.write("sys/remount", { from: "database/", to: "db2/" });
    await root.write("sys/leases/revoke-prefix/db2/creds/readonly", {});
    expect(db.users.size).toBe(0);
  });

  it("keeps max_leases slots with the moved leases", async () => {
    const { root } = await seed();
    await root.write("database/roles/readonly", { max_leases: 2 });
    const first = await root.read("database/creds/readonly");
    await root.read("database/creds/readonly");
    await root.write("sys/remount", { from: "database", to: "db2" });
    await expect(root.read("db2/creds/readonly")).rejects.toMatchObject({ code: "quota_exceeded" });
    await root.write("sys/leases/revoke", { lease_id: first.lease_id.replace(/^database\//, "db2/") });
    await expect(root.read("db2/creds/readonly")).resolves.toBeTruthy(); // the moved lease's slot was freed
  });

  it.each([
    [{ from: "sys", to: "other" }, /built-in/],
    [{ from: "auth/token", to: "other" }, /built-in/],
    [{ from: "nothing", to: "other" }, /no mount at "nothing\/"/],
    [{ from: "database", to: "database" }, /already at/],
    [{ from: "database", to: "database/inner" }, /already in use at "database\/"/],
    [{ from: "database", to: "sys/x" }, /reserved/],
    [{ from: "database", to: "auth/x" }, /reserved/],
    [{ from: "database" }, /'to' is missing/],
  ])("refuses %o and moves nothing", async (body, message) => {
    const { root } = await seed();
    await expect(root.write("sys/remount", body)).rejects.toThrow(message);
    expect((await root.read("database/roles/readonly")).data).toMatchObject({ db_name: "fake" });
  });

  it("refuses a target where a mount exists, or one nested around another", async () => {
    const { root } = await seed();
    await root.write("sys/mounts/other", { type: "database" });
    await root.write("sys/mounts/team/inner", { type: "database" });
    await expect(root.write("sys/remount", { from: "database", to: "other" })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.write("sys/remount", { from: "database", to: "team" })).rejects.toThrow(/in use at "team\/inner\/"/);
    await expect(root.write("sys/remount", { from: "database", to: "other/deeper" })).rejects.toThrow(/in use at "other\/"/);
  });

  it("needs sudo, as Vault's", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/mover", { policy: 'path "sys/remount" { capabilities = ["update"] }' });
    const { auth } = await root.write("auth/token/create", { policies: ["mover"] });
    await expect(engine.client(auth!.client_token).write("sys/remount", { from: "database", to: "db2" })).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("an unknown migration id reads as not found", async () => {
    const { root } = await seed();
    await expect(root.read("sys/remount/status/nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});

/** A MemoryStorage whose writes of moved lease records fail while `failing` is set (a crash mid-move). */
class FailingMoves extends MemoryStorage {
  failing = false;
  override async put(key: string, value: Uint8Array): Promise<void> {
    if (this.failing && key.startsWith("sys/expire/id/db2/")) throw new Error("storage went away");
    return super.put(key, value);
  }
}

describe("sys/remount across a crash", () => {
  it("a move interrupted while moving leases is finished at the next open; no lease is lost", async () => {
    const storage = new FailingMoves();
    const fx = await openEngineFixture({ storage, revocation: FAST_REVOCATION });
    try {
      const issued = [await fx.issue("readonly"), await fx.issue("readonly")];
      storage.failing = true;
      await expect(fx.root.write("sys/remount", { from: "database", to: "db2" })).rejects.toThrow();
      // The mount moved; the leases are still under their old ids, and still revocable.
      expect((await fx.root.read("db2/roles/readonly")).data).toMatchObject({ db_name: "fake" });
      expect((await fx.root.list("sys/leases/lookup/database/creds/readonly")).data!.keys).toHaveLength(2);
      const [migration] = await storage.list("core/remount/");
      const id = migration!.slice("core/remount/".length);
      expect((await fx.root.read(`sys/remount/status/${id}`)).data).toMatchObject({ migration_info: { status: "in-progress" } });

      storage.failing = false;
      await fx.restart();
      await vi.waitFor(async () => expect((await fx.root.read(`sys/remount/status/${id}`)).data).toMatchObject({ migration_info: { status: "success" } }));
      expect((await fx.root.list("sys/leases/lookup/db2/creds/readonly")).data!.keys).toHaveLength(2);
      await expect(fx.root.list("sys/leases/lookup/database/creds/readonly")).rejects.toBeInstanceOf(NotFoundError);
      await fx.root.write("sys/leases/revoke-prefix/db2/", {});
      for (const { username } of issued) expect(fx.db.users.has(username)).toBe(false);
    } finally {
      await fx.engine.close();
    }
  });

  it("a move interrupted between the new entry and the old one's removal is finished at the next open", async () => {
    const storage = new FailingRemove();
    const fx = await openEngineFixture({ storage, revocation: FAST_REVOCATION });
    try {
      const issued = await fx.issue("readonly");
      storage.failing = true;
      await expect(fx.root.write("sys/remount", { from: "database", to: "db2" })).rejects.toThrow(/storage went away/);
      expect(await storage.list("core/mounts/")).toEqual(["core/mounts/database", "core/mounts/db2"]); // both, same UUID
      storage.failing = false;
      await fx.restart();
      const [migration] = await storage.list("core/remount/");
      const id = migration!.slice("core/remount/".length);
      await vi.waitFor(async () => expect((await fx.root.read(`sys/remount/status/${id}`)).data).toMatchObject({ migration_info: { status: "success" } }));
      expect(await storage.list("core/mounts/")).toEqual(["core/mounts/db2"]);
      await expect(fx.root.read("database/roles/readonly")).rejects.toBeInstanceOf(NotFoundError);
      await fx.root.write("sys/leases/revoke", { lease_id: issued.leaseId.replace(/^database\//, "db2/") });
      expect(fx.db.users.has(issued.username)).toBe(false);
    } finally {
      await fx.engine.close();
    }
  });
});

/** A MemoryStorage whose removal of the old mount record fails while `failing` is set. */
class FailingRemove extends MemoryStorage {
  failing = false;
  override async compareAndSwap(key: string, expected: Uint8Array | undefined, next: Uint8Array | undefined): Promise<boolean> {
    if (this.failing && key === "core/mounts/database" && next === undefined) throw new Error("storage went away");
    return super.compareAndSwap(key, expected, next);
  }
}
