import { describe, expect, it } from "vitest";
import {
  AlreadyInitializedError,
  Engine,
  InvalidRequestError,
  MemoryStorage,
  NotFoundError,
  NotInitializedError,
  PermissionDeniedError,
  SealedError,
} from "../src/index.js";
import { FAST_REVOCATION, useEngineFixture } from "./support/engine-fixture.js";

const seed = useEngineFixture({ revocation: FAST_REVOCATION });

describe("Engine lifecycle", () => {
  it("refuses requests before initialize and a second initialize", async () => {
    await using engine = await Engine.open();
    await expect(engine.client("vls.x").read("sys/mounts")).rejects.toBeInstanceOf(NotInitializedError);
    await engine.initialize();
    await expect(engine.initialize()).rejects.toBeInstanceOf(AlreadyInitializedError);
  });

  it("keeps its state when reopened on the same storage", async () => {
    const storage = new MemoryStorage();
    const first = await Engine.open({ storage });
    const { rootToken } = await first.initialize();
    await first.client(rootToken).write("sys/mounts/db", { type: "database" });
    await first.close();
    await using second = await Engine.open({ storage });
    const mounts = await second.client(rootToken).read("sys/mounts");
    expect(Object.keys(mounts.data!)).toContain("db/");
  });

  it("releases what it opened when opening fails", async () => {
    let closed = false;
    const storage = Object.assign(new MemoryStorage(), {
      get: async () => {
        throw new Error("disk on fire");
      },
      close: async () => void (closed = true),
    });
    await expect(Engine.open({ storage })).rejects.toThrow(/disk on fire/);
    expect(closed).toBe(true);
  });

  it("rejects unknown and missing tokens", async () => {
    const { engine } = await seed();
    await expect(engine.client("vls.nope").read("sys/mounts")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(engine.request({ operation: "read", path: "sys/mounts" })).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("serves nothing after close and stops every timer", async () => {
    const { engine, root, clock } = await seed();
    await root.read("database/creds/readonly");
    expect(clock.pendingTimers).toBe(1);
    await engine.close();
    expect(clock.pendingTimers).toBe(0);
    await expect(root.read("sys/mounts")).rejects.toBeInstanceOf(SealedError);
  });
});

describe("sys/mounts", () => {
  it("enables, lists, reads, tunes and disables a mount", async () => {
    const { root } = await seed();
    await root.write("sys/mounts/other", { type: "database", config: { default_lease_ttl: "10m", max_lease_ttl: "1h" } });
    expect((await root.read("sys/mounts/other")).data).toMatchObject({ type: "database", config: { default_lease_ttl: 600, max_lease_ttl: 3600 } });
    await root.write("sys/mounts/other/tune", { max_lease_ttl: "2h" });
    expect((await root.read("sys/mounts/other/tune")).data).toEqual({ description: "", default_lease_ttl: 600, max_lease_ttl: 7200, force_no_cache: false });
    await root.delete("sys/mounts/other");
    expect(Object.keys((await root.read("sys/mounts")).data!)).not.toContain("other/");
  });

  it("rejects an unknown mount type and changes nothing", async () => {
    const { root } = await seed();
    await expect(root.write("sys/mounts/x", { type: "nosuch" })).rejects.toThrow(InvalidRequestError);
    expect(Object.keys((await root.read("sys/mounts")).data!)).not.toContain("x/");
  });

  it("rejects mounting over or inside an existing path", async () => {
    const { root } = await seed();
    await expect(root.write("sys/mounts/database", { type: "database" })).rejects.toThrow(/already in use/);
    await expect(root.write("sys/mounts/database/inner", { type: "database" })).rejects.toThrow(/already in use/);
    await expect(root.write("sys/mounts/sys/x", { type: "database" })).rejects.toThrow(/reserved/);
  });

  it("rejects a tune with default above max", async () => {
    const { root } = await seed();
    await expect(root.write("sys/mounts/database/tune", { default_lease_ttl: "2h", max_lease_ttl: "1h" })).rejects.toThrow(InvalidRequestError);
  });

  it("revokes a mount's leases when it is disabled", async () => {
    const { root, db } = await seed();
    await root.read("database/creds/readonly");
    expect(db.users.size).toBe(1);
    await root.delete("sys/mounts/database");
    expect(db.users.size).toBe(0);
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("applies a tuned mount max TTL to new leases", async () => {
    const { root } = await seed();
    await root.write("sys/mounts/database/tune", { max_lease_ttl: "30m" });
    const creds = await root.read("database/creds/readonly");
    expect(creds.lease_duration).toBe(1800);
    expect(creds.warnings?.[0]).toMatch(/capped/);
  });
});
