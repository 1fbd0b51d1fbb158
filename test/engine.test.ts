import { describe, expect, it } from "vitest";
import {
  AlreadyInitializedError,
  Engine,
  InvalidRequestError,
  LeaseNotFoundError,
  MemoryStorage,
  NotFoundError,
  NotInitializedError,
  PermissionDeniedError,
  SealedError,
} from "../src/index.js";
import { useFakeSeedEngine } from "./fakes/fake-engine.js";

const seed = useFakeSeedEngine();

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
    expect((await root.read("sys/mounts/other/tune")).data).toEqual({ default_lease_ttl: 600, max_lease_ttl: 7200 });
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

describe("database backend (pure core, fake plugin)", () => {
  it("issues unique credentials with a lease from the role's default TTL", async () => {
    const { root, db } = await seed();
    const a = await root.read<{ username: string; password: string }>("database/creds/readonly");
    const b = await root.read<{ username: string; password: string }>("database/creds/readonly");
    expect(a.lease_id).toMatch(/^database\/creds\/readonly\/[A-Za-z0-9]{24}$/);
    expect(a.lease_duration).toBe(3600);
    expect(a.renewable).toBe(true);
    expect(a.data!.username).toMatch(/^v-root-readonly-[A-Za-z0-9]{20}-\d{10}$/);
    expect(a.data!.username).not.toBe(b.data!.username);
    expect(a.data!.password).not.toBe(b.data!.password);
    expect(db.users.size).toBe(2);
  });

  it("never returns the connection password", async () => {
    const { root } = await seed();
    const config = await root.read("database/config/fake");
    expect(JSON.stringify(config)).not.toContain("rootpassword");
    expect(config.data).toMatchObject({ plugin_name: "fake-database-plugin", allowed_roles: ["readonly"] });
  });

  it("masks a password written into the connection URL", async () => {
    const { root } = await seed();
    await root.write("database/config/fake", { connection_url: "postgresql://root:s3cret@localhost/db" });
    expect(JSON.stringify(await root.read("database/config/fake"))).not.toContain("s3cret");
  });

  it("lists, reads and deletes roles", async () => {
    const { root } = await seed();
    expect((await root.list("database/roles")).data!.keys).toEqual(["readonly"]);
    expect((await root.read("database/roles/readonly")).data).toMatchObject({ db_name: "fake", default_ttl: 3600, max_ttl: 86_400 });
    await root.delete("database/roles/readonly");
    await expect(root.read("database/roles/readonly")).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([
    [{ db_name: "fake", creation_statements: "SELECT 1", default_ttl: "2h", max_ttl: "1h" }, /default_ttl/],
    [{ db_name: "fake", creation_statements: "SELECT 1", default_ttl: "forever" }, /default_ttl/],
    [{ db_name: "missing", creation_statements: "SELECT 1" }, /no database connection named "missing"/],
    [{ db_name: "fake" }, /creation_statements is required/],
    [{ db_name: "fake", creation_statements: `CREATE ROLE "{{nmae}}"` }, /nmae/],
  ])("rejects a bad role %j and stores nothing", async (payload, message) => {
    const { root } = await seed();
    await expect(root.write("database/roles/bad", payload)).rejects.toThrow(message);
    await expect(root.read("database/roles/bad")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses creds for a role the connection does not allow, creating nothing", async () => {
    const { root, db } = await seed();
    await root.write("database/roles/other", { db_name: "fake", creation_statements: "SELECT 1" });
    await expect(root.read("database/creds/other")).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(db.users.size).toBe(0);
  });

  it("allows roles by glob", async () => {
    const { root } = await seed();
    await root.write("database/config/fake", { allowed_roles: ["read*"] });
    await root.write("database/roles/reader", { db_name: "fake", creation_statements: "SELECT 1" });
    await expect(root.read("database/creds/reader")).resolves.toMatchObject({ renewable: true });
  });

  it("leaves no lease when creating the user fails", async () => {
    const { root, db } = await seed();
    db.failNextCreate = true;
    await expect(root.read("database/creds/readonly")).rejects.toThrow(/creating the database user failed/);
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses an unknown plugin", async () => {
    const { root } = await seed();
    await expect(root.write("database/config/x", { plugin_name: "nope", connection_url: "x" })).rejects.toThrow(/unknown plugin_name/);
  });
});

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
    await expect(root.write("sys/leases/revoke", { lease_id: creds.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
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

  it("force-revokes (forgets) leases by prefix", async () => {
    const { root, db } = await seed();
    const creds = await root.read("database/creds/readonly");
    await root.write("sys/leases/revoke-force/database/creds", {});
    expect(db.users.size).toBe(1); // force does not touch the database
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
