import { describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage, type EngineEventName, type EngineEvents, type Logger } from "../../src/index.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";
import { FAST_REVOCATION, useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture({ revocation: FAST_REVOCATION });

/** Records every event of the given names, in order, as [name, payload]. */
function record(engine: Engine, names: EngineEventName[]) {
  const seen: Array<[EngineEventName, unknown]> = [];
  for (const name of names) engine.on(name, (payload) => void seen.push([name, payload]));
  return seen;
}

const LEASE_EVENTS: EngineEventName[] = ["lease.created", "lease.renewed", "lease.expired", "lease.revoked", "lease.revoke_failed", "lease.irrevocable", "lease.forgotten"];

describe("engine events", () => {
  it("fire in order for a lease's life: created → renewed → revoked", async () => {
    const { engine, root, clock } = await seed();
    const seen = record(engine, LEASE_EVENTS);
    const creds = await root.read("database/creds/readonly");
    await clock.advance("10m");
    await root.write("sys/leases/renew", { lease_id: creds.lease_id, increment: "2h" });
    await root.write("sys/leases/revoke", { lease_id: creds.lease_id });
    expect(seen.map(([name]) => name)).toEqual(["lease.created", "lease.renewed", "lease.revoked"]);
    expect(seen[0]![1]).toEqual({ leaseId: creds.lease_id, mount: "database/", path: "creds/readonly", role: "readonly", expireTime: expect.any(String), ttl: 3600 });
    const renewed = seen[1]![1] as EngineEvents["lease.renewed"];
    expect(new Date(renewed.expireTime).getTime()).toBe(clock.now() + 2 * 3600_000);
  });

  it("reports expiry, then the revocation that follows", async () => {
    const { engine, root, clock } = await seed();
    const seen = record(engine, LEASE_EVENTS);
    await root.read("database/creds/readonly");
    await clock.advance("61m");
    expect(seen.map(([name]) => name)).toEqual(["lease.created", "lease.expired", "lease.revoked"]);
  });

  it("reports failed revocations, then the lease becoming irrevocable", async () => {
    const { engine, root, clock, db } = await seed();
    const seen = record(engine, LEASE_EVENTS);
    await root.read("database/creds/readonly");
    db.failDeletes = true;
    await clock.advance("1h");
    await clock.advance("10m");
    expect(seen.map(([name]) => name)).toEqual([
      "lease.created", "lease.expired", "lease.revoke_failed", "lease.revoke_failed", "lease.revoke_failed", "lease.irrevocable",
    ]);
    expect(seen.at(-1)![1]).toMatchObject({ attempts: 3, error: expect.stringMatching(/unreachable/) });
    expect(engine.metrics()).toMatchObject({
      leases: { active: 0, irrevocable: 1, byRole: [{ mount: "database/", role: "readonly", active: 0, irrevocable: 1 }] },
      revocations: { failed: 3, becameIrrevocable: 1, succeeded: 0 },
    });
  });

  it("reports tokens created and revoked (children with their parent), never the token", async () => {
    const { engine, root } = await seed();
    const seen = record(engine, ["token.created", "token.revoked"]);
    const parent = await root.write("auth/token/create", { display_name: "ci", ttl: "1h" });
    await engine.client(parent.auth!.client_token).write("auth/token/create", {});
    await root.write("auth/token/revoke", { token: parent.auth!.client_token });
    expect(seen.map(([name]) => name)).toEqual(["token.created", "token.created", "token.revoked", "token.revoked"]);
    expect(seen[0]![1]).toEqual({ accessor: parent.auth!.accessor, displayName: "token-ci", policies: ["root"] });
    expect(JSON.stringify(seen)).not.toContain(parent.auth!.client_token);
  });

  it("reports a token's expiry once: its lease expired and revoked, the token revoked", async () => {
    const { engine, root, clock } = await seed();
    const seen = record(engine, [...LEASE_EVENTS, "token.revoked"]);
    await root.write("auth/token/create", { ttl: "1h" });
    await clock.advance("61m");
    expect(seen.map(([name]) => name)).toEqual(["lease.created", "lease.expired", "token.revoked", "lease.revoked"]);
    expect(engine.metrics().leases.byMount.find((m) => m.mount === "auth/token/")).toBeUndefined();
  });

  it("reports config, role and policy changes with field names only, never values", async () => {
    const { engine, root } = await seed();
    const seen = record(engine, ["config.changed", "role.changed", "policy.changed"]);
    await root.write("database/config/fake", { password: "New-root-pw-123", connection_url: "fake://{{username}}:{{password}}@elsewhere" });
    await root.write("database/roles/readonly", { default_ttl: "2h" });
    await root.delete("database/roles/readonly");
    await root.write("sys/policy/apps", { policy: 'path "x" { capabilities = ["read"] }' });
    expect(seen).toEqual([
      ["config.changed", { mount: "database/", name: "fake", operation: "write", fields: ["connection_url", "password"] }],
      ["role.changed", { mount: "database/", name: "readonly", operation: "write", fields: ["default_ttl"] }],
      ["role.changed", { mount: "database/", name: "readonly", operation: "delete", fields: [] }],
      ["policy.changed", { name: "apps", operation: "write" }],
    ]);
    expect(JSON.stringify(seen)).not.toMatch(/New-root-pw-123|elsewhere/);
  });

  it("reports mounts enabled, tuned and disabled", async () => {
    await using engine = await Engine.open({ plugins: [new FakeDatabase().plugin("fake")] });
    const root = engine.client((await engine.initialize()).rootToken);
    const seen = record(engine, ["mount.enabled", "mount.tuned", "mount.disabled"]);
    await root.write("sys/mounts/db", { type: "database" });
    await root.write("sys/mounts/db/tune", { max_leases: 10 });
    await root.delete("sys/mounts/db");
    expect(seen).toEqual([
      ["mount.enabled", { path: "db/", type: "database" }],
      ["mount.tuned", { path: "db/", fields: ["max_leases"] }],
      ["mount.disabled", { path: "db/", type: "database" }],
    ]);
  });

  it("survives listeners that throw or reject: the request succeeds, others still run, the logger hears of it", async () => {
    const warnings: unknown[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (fields) => void warnings.push(fields), error() {} };
    const db = new FakeDatabase();
    await using engine = await Engine.open({ clock: new ManualClock(), plugins: [db.plugin("fake")], logger });
    const root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/fake", { plugin_name: "fake", allowed_roles: "*", connection_url: "fake://x", username: "u", password: "p" });
    await root.write("database/roles/r", { db_name: "fake", creation_statements: "CREATE ROLE x" });
    const calls: string[] = [];
    engine.on("lease.created", () => {
      throw new Error("listener bug");
    });
    engine.on("lease.created", () => Promise.reject(new Error("async listener bug")));
    engine.on("lease.created", () => void calls.push("third"));
    const creds = await root.read("database/creds/r");
    expect(creds.lease_id).toMatch(/^database\/creds\/r\//);
    expect(calls).toEqual(["third"]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([
      { event: "lease.created", error: "Error" },
      { event: "lease.created", error: "Error" },
    ]);
  });

  it("off removes a listener", async () => {
    const { engine, root } = await seed();
    const seen: unknown[] = [];
    const listener = (payload: unknown) => void seen.push(payload);
    engine.on("lease.created", listener);
    await root.read("database/creds/readonly");
    engine.off("lease.created", listener);
    await root.read("database/creds/readonly");
    expect(seen).toHaveLength(1);
  });
});

describe("engine.metrics()", () => {
  it("matches the number of leases per mount and role, and counts revocations", async () => {
    const { engine, root } = await seed();
    await root.write("database/config/fake", { allowed_roles: "readonly,writer" });
    await root.write("database/roles/writer", { db_name: "fake", creation_statements: "CREATE ROLE x" });
    const leases = [];
    for (let i = 0; i < 3; i++) leases.push(await root.read("database/creds/readonly"));
    await root.read("database/creds/writer");
    await root.write("auth/token/create", { policies: ["default"] });
    let metrics = engine.metrics();
    expect(metrics.leases.active).toBe(5);
    expect(metrics.leases.byMount).toEqual(expect.arrayContaining([
      { mount: "database/", active: 4, irrevocable: 0 },
      { mount: "auth/token/", active: 1, irrevocable: 0 },
    ]));
    expect(metrics.leases.byRole).toEqual(expect.arrayContaining([
      { mount: "database/", role: "readonly", active: 3, irrevocable: 0 },
      { mount: "database/", role: "writer", active: 1, irrevocable: 0 },
    ]));
    await root.write("sys/leases/revoke", { lease_id: leases[0]!.lease_id });
    metrics = engine.metrics();
    expect(metrics.leases.byRole).toContainEqual({ mount: "database/", role: "readonly", active: 2, irrevocable: 0 });
    expect(metrics).toMatchObject({ leases: { active: 4, created: 5 }, revocations: { succeeded: 1, failed: 0, queueDepth: 0 }, tokens: { created: 2 } }); // with the root token
    const listed = await root.list("sys/leases/lookup/database/creds/readonly");
    expect(listed.data!.keys).toHaveLength(2);
  });

  it("counts leases restored from storage after a restart", async () => {
    const storage = new MemoryStorage();
    const plugins = [new FakeDatabase().plugin("fake")];
    const first = await Engine.open({ storage, plugins });
    const root = first.client((await first.initialize()).rootToken);
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/fake", { plugin_name: "fake", allowed_roles: "*", connection_url: "fake://x", username: "u", password: "p" });
    await root.write("database/roles/r", { db_name: "fake", creation_statements: "CREATE ROLE x" });
    await root.read("database/creds/r");
    await root.read("database/creds/r");
    await first.close();
    await using second = await Engine.open({ storage, plugins });
    await second.leasesRestored(); // open returns before the background restore
    expect(second.metrics().leases.byRole).toEqual([{ mount: "database/", role: "r", active: 2, irrevocable: 0 }]);
    expect(second.metrics().leases.created).toBe(0);
  });
});
