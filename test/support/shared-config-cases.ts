/**
 * Configuration changed through one engine is enforced by another engine on the same storage
 * within the propagation bound (1 s). Registered twice: two engines on one MemoryStorage (fast,
 * test/config/) and two engines on separate pools over one PostgreSQL table (test/integration/).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Engine, InvalidRequestError, ManualClock, PermissionDeniedError, type Client, type Storage } from "../../src/index.js";
import { fakeConnectionConfig, mountFakeDatabase } from "./engine-fixture.js";
import type { AuditEntry } from "../../src/audit/audit-entry.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";

/** The bound under test: every propagation is awaited for at most this long. */
export const BOUND = { timeout: 1_000, interval: 20 };

/** Two storages over the same records (the same object, or two pools on one table). */
export interface StoragePair {
  a: Storage;
  b: Storage;
  /** A third storage over the same records, for engines opened afterwards. */
  another(): Storage;
}

/** Two engines sharing records, with their audit sinks and a root client on each. */
export interface EnginePair {
  a: Engine;
  b: Engine;
  rootA: Client;
  rootB: Client;
  rootToken: string;
  /** Entries recorded by each engine's `log` stream sink. */
  auditA: AuditEntry[];
  auditB: AuditEntry[];
  clock: ManualClock;
}

const ALLOW_MOUNTS = 'path "sys/mounts" { capabilities = ["read"] }';
const ALLOW_POLICIES = 'path "sys/policy" { capabilities = ["read"] }';

/** Opens A (and initializes the records), then B on the same records. */
export async function openPair(storages: StoragePair, opened: Engine[]): Promise<EnginePair> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const db = new FakeDatabase();
  const auditA: AuditEntry[] = [];
  const auditB: AuditEntry[] = [];
  const options = (storage: Storage, sink: AuditEntry[]) => ({
    storage,
    clock,
    plugins: [db.plugin()],
    auditSinks: { log: (entry: AuditEntry) => void sink.push(entry) },
  });
  const a = await Engine.open(options(storages.a, auditA));
  opened.push(a);
  const { rootToken } = await a.initialize();
  const b = await Engine.open(options(storages.b, auditB));
  opened.push(b);
  return { a, b, rootA: a.client(rootToken), rootB: b.client(rootToken), rootToken, auditA, auditB, clock };
}


/**
 * Registers the cases. `pair()` gives fresh storages per test; `feedDown(pair)` makes B's change
 * feed go down (the engine must then re-read before serving).
 */
export function sharedConfigCases(name: string, pair: () => Promise<StoragePair>, feedDown: (storages: StoragePair) => Promise<void>): void {
  describe(name, () => {
    const opened: Engine[] = [];
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((engine) => engine.close()));
    });
    const open = async () => {
      const storages = await pair();
      return { storages, ...(await openPair(storages, opened)) };
    };
    const tokenWith = async (root: Client, policy: string) =>
      (await root.write("auth/token/create", { policies: [policy] })).auth!.client_token;

    it("a policy tightened through A stops granting through B", async () => {
      const { rootA, b } = await open();
      await rootA.write("sys/policy/apps", { policy: ALLOW_MOUNTS });
      const token = await tokenWith(rootA, "apps");
      await b.client(token).read("sys/mounts"); // B has compiled the policy
      await rootA.write("sys/policy/apps", { policy: ALLOW_POLICIES });
      await vi.waitFor(() => expect(b.client(token).read("sys/mounts")).rejects.toBeInstanceOf(PermissionDeniedError), BOUND);
      await b.client(token).read("sys/policy"); // and grants the new rule
    });

    it("a policy deleted through A stops granting through B", async () => {
      const { rootA, a, b } = await open();
      await rootA.write("sys/policy/apps", { policy: ALLOW_MOUNTS });
      const token = await tokenWith(rootA, "apps");
      await b.client(token).read("sys/mounts");
      await rootA.delete("sys/policy/apps");
      await expect(a.client(token).read("sys/mounts")).rejects.toBeInstanceOf(PermissionDeniedError); // at once on A
      await vi.waitFor(() => expect(b.client(token).read("sys/mounts")).rejects.toBeInstanceOf(PermissionDeniedError), BOUND);
    });

    it("an audit device enabled through A records B's requests", async () => {
      const { rootA, rootB, auditB } = await open();
      await rootB.read("sys/mounts");
      expect(auditB).toHaveLength(0);
      await rootA.write("sys/audit/log", { type: "stream", options: { sink: "log" } });
      await vi.waitFor(async () => {
        await rootB.read("sys/mounts");
        expect(auditB.some((entry) => entry.type === "response" && entry.request.path === "sys/mounts")).toBe(true);
      }, BOUND);
      await rootA.delete("sys/audit/log");
      await vi.waitFor(async () => {
        const before = auditB.length;
        await rootB.read("sys/mounts");
        expect(auditB.length).toBe(before);
      }, BOUND);
    });

    it("a mount enabled through A serves through B, and disabled through A stops", async () => {
      const { rootA, rootB } = await open();
      await mountFakeDatabase(rootA, "db2");
      await vi.waitFor(async () => {
        const creds = await rootB.read<{ username: string }>("db2/creds/readonly");
        expect(creds.data!.username).toBeTruthy();
      }, BOUND);
      await rootA.delete("sys/mounts/db2");
      await vi.waitFor(() => expect(rootB.read("db2/creds/readonly")).rejects.toThrow(/nothing is mounted there/), BOUND);
    });

    it("a mount remounted through A moves through B: the old path stops, the new one serves, its leases revocable through B", async () => {
      const { rootA, rootB } = await open();
      await mountFakeDatabase(rootA, "db3");
      const creds = await rootA.read<{ username: string }>("db3/creds/readonly");
      const { migration_id } = (await rootA.write<{ migration_id: string }>("sys/remount", { from: "db3", to: "moved/db3" })).data!;
      await vi.waitFor(async () => {
        await expect(rootB.read("db3/roles/readonly")).rejects.toThrow(/nothing is mounted there/);
        expect((await rootB.read("moved/db3/roles/readonly")).data).toMatchObject({ db_name: "fake" });
      }, BOUND);
      expect((await rootB.read("sys/remount/status/" + migration_id)).data).toMatchObject({ migration_info: { status: "success" } });
      const movedId = creds.lease_id.replace(/^db3\//, "moved/db3/");
      await rootB.write("sys/leases/revoke", { lease_id: movedId });
      await expect(rootA.write("sys/leases/lookup", { lease_id: movedId })).rejects.toThrow(/lease not found/);
    });

    it("mounts enabled at once through A and B both survive", async () => {
      const { rootA, rootB, storages, rootToken } = await open();
      await Promise.all([rootA.write("sys/mounts/one", { type: "database" }), rootB.write("sys/mounts/two", { type: "database" })]);
      for (const root of [rootA, rootB]) {
        await vi.waitFor(async () => expect(Object.keys((await root.read("sys/mounts")).data!)).toEqual(expect.arrayContaining(["one/", "two/"])), BOUND);
      }
      const c = await Engine.open({ storage: storages.another() });
      opened.push(c);
      const { data } = await c.client(rootToken).read("sys/mounts");
      expect(Object.keys(data!)).toEqual(expect.arrayContaining(["one/", "two/"]));
    });

    it("the same path enabled at once through A and B: exactly one wins, the other is told", async () => {
      const { rootA, rootB } = await open();
      const results = await Promise.allSettled([rootA.write("sys/mounts/same", { type: "database" }), rootB.write("sys/mounts/same", { type: "database" })]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      const failure = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
      expect(failure.reason).toBeInstanceOf(InvalidRequestError);
      expect(failure.reason.message).toMatch(/already in use/);
      const [winner, loser] = results[0]!.status === "fulfilled" ? [rootA, rootB] : [rootB, rootA];
      const { uuid } = (await winner.read<{ uuid: string }>("sys/mounts/same")).data!;
      await vi.waitFor(async () => expect((await loser.read<{ uuid: string }>("sys/mounts/same")).data!.uuid).toBe(uuid), BOUND);
    });

    it("nested paths enabled at once through A and B never both stay", async () => {
      const { rootA, rootB, storages, rootToken } = await open();
      const results = await Promise.allSettled([rootA.write("sys/mounts/team", { type: "database" }), rootB.write("sys/mounts/team/db", { type: "database" })]);
      for (const result of results) if (result.status === "rejected") expect(result.reason).toBeInstanceOf(InvalidRequestError);
      const c = await Engine.open({ storage: storages.another() });
      opened.push(c);
      const mounted = Object.keys((await c.client(rootToken).read("sys/mounts")).data!).filter((path) => path.startsWith("team/"));
      expect(mounted.length).toBe(results.filter((result) => result.status === "fulfilled").length);
      expect(mounted.length).toBeLessThanOrEqual(1);
    });

    it("a max_lease_ttl tuned through A caps leases issued through B", async () => {
      const { rootA, rootB } = await open();
      await mountFakeDatabase(rootA);
      await vi.waitFor(async () => expect((await rootB.read("database/creds/readonly")).lease_duration).toBe(3600), BOUND);
      await rootA.write("sys/mounts/database/tune", { max_lease_ttl: "60s" });
      await vi.waitFor(async () => expect((await rootB.read("database/creds/readonly")).lease_duration).toBe(60), BOUND);
    });

    it("a password policy changed through A generates through B", async () => {
      const { rootA, rootB } = await open();
      const policy = (length: number) => `length = ${length}\nrule "charset" { charset = "abcdefghijklmnopqrstuvwxyz" }`;
      await rootA.write("sys/policies/password/short", { policy: policy(8) });
      await vi.waitFor(async () => expect((await rootB.read<{ password: string }>("sys/policies/password/short/generate")).data!.password).toHaveLength(8), BOUND);
      await rootA.write("sys/policies/password/short", { policy: policy(20) });
      await vi.waitFor(async () => expect((await rootB.read<{ password: string }>("sys/policies/password/short/generate")).data!.password).toHaveLength(20), BOUND);
      await rootA.delete("sys/policies/password/short");
      await vi.waitFor(() => expect(rootB.read("sys/policies/password/short/generate")).rejects.toThrow(), BOUND);
    });

    it("a role's max_leases holds across A and B together, and a lease revoked through B frees a slot for A", async () => {
      const { rootA, rootB } = await open();
      await mountFakeDatabase(rootA);
      await rootA.write("database/roles/readonly", { max_leases: 3 });
      await vi.waitFor(async () => expect((await rootB.read("database/roles/readonly")).data).toMatchObject({ max_leases: 3 }), BOUND);
      const attempts = await Promise.allSettled([rootA, rootB, rootA, rootB, rootA, rootB].map((root) => root.read("database/creds/readonly")));
      const issued = attempts.flatMap((attempt) => (attempt.status === "fulfilled" ? [attempt] : []));
      expect(issued).toHaveLength(3);
      for (const attempt of attempts) if (attempt.status === "rejected") expect(attempt.reason).toMatchObject({ code: "quota_exceeded" });
      await rootB.write("sys/leases/revoke", { lease_id: issued[0]!.value.lease_id });
      await rootA.read("database/creds/readonly");
      await expect(rootB.read("database/creds/readonly")).rejects.toMatchObject({ code: "quota_exceeded" });
    });

    it("leases A issued and B revoked free A's slots too (A's own counts do not stand in for storage)", async () => {
      const { rootA, rootB } = await open();
      await mountFakeDatabase(rootA);
      await rootA.write("database/roles/readonly", { max_leases: 3 });
      const issued = [];
      for (let i = 0; i < 3; i++) issued.push(await rootA.read("database/creds/readonly"));
      await expect(rootA.read("database/creds/readonly")).rejects.toMatchObject({ code: "quota_exceeded" });
      await vi.waitFor(async () => expect((await rootB.read("database/roles/readonly")).data).toMatchObject({ max_leases: 3 }), BOUND);
      await rootB.write("sys/leases/revoke", { lease_id: issued[0]!.lease_id });
      await expect(rootA.read("database/creds/readonly")).resolves.toMatchObject({ lease_id: expect.any(String) });
      await expect(rootA.read("database/creds/readonly")).rejects.toMatchObject({ code: "quota_exceeded" });
    });

    it("a mount's max_leases tuned through A holds across A and B", async () => {
      const { rootA, rootB } = await open();
      await mountFakeDatabase(rootA);
      await rootA.write("sys/mounts/database/tune", { max_leases: 2 });
      await vi.waitFor(async () => expect((await rootB.read("sys/mounts/database/tune")).data).toMatchObject({ max_leases: 2 }), BOUND);
      await rootA.read("database/creds/readonly");
      await rootB.read("database/creds/readonly");
      await expect(rootA.read("database/creds/readonly")).rejects.toMatchObject({ code: "quota_exceeded" });
      await expect(rootB.read("database/creds/readonly")).rejects.toMatchObject({ code: "quota_exceeded" });
    });

    it("a role changed and deleted through A is what B issues with (B serves roles from its cache)", async () => {
      const { rootA, rootB } = await open();
      await mountFakeDatabase(rootA);
      await vi.waitFor(async () => expect((await rootB.read("database/creds/readonly")).lease_duration).toBe(3600), BOUND);
      await rootA.write("database/roles/readonly", { default_ttl: "2m" });
      await vi.waitFor(async () => expect((await rootB.read("database/creds/readonly")).lease_duration).toBe(120), BOUND);
      await rootA.delete("database/roles/readonly");
      await vi.waitFor(() => expect(rootB.read("database/creds/readonly")).rejects.toBeInstanceOf(InvalidRequestError), BOUND);
    });

    it("a connection's allowed_roles narrowed through A stops B issuing for the role", async () => {
      const { rootA, rootB } = await open();
      await mountFakeDatabase(rootA);
      await vi.waitFor(() => expect(rootB.read("database/creds/readonly")).resolves.toMatchObject({ lease_id: expect.any(String) }), BOUND);
      await rootA.write("database/config/fake", fakeConnectionConfig("other"));
      await vi.waitFor(() => expect(rootB.read("database/creds/readonly")).rejects.toBeInstanceOf(PermissionDeniedError), BOUND);
    });

    it("with B's change feed down, B issues with a role changed through A (it re-reads)", async () => {
      const { rootA, rootB, storages } = await open();
      await mountFakeDatabase(rootA);
      await vi.waitFor(async () => expect((await rootB.read("database/creds/readonly")).lease_duration).toBe(3600), BOUND);
      await feedDown(storages);
      await rootA.write("database/roles/readonly", { default_ttl: "2m" });
      await vi.waitFor(async () => expect((await rootB.read("database/creds/readonly")).lease_duration).toBe(120), BOUND);
    });

    it("with B's change feed down, B still refuses a deleted policy's grant (it re-reads)", async () => {
      const { rootA, b, storages } = await open();
      await rootA.write("sys/policy/apps", { policy: ALLOW_MOUNTS });
      const token = await tokenWith(rootA, "apps");
      await b.client(token).read("sys/mounts");
      await feedDown(storages);
      await rootA.delete("sys/policy/apps");
      await vi.waitFor(() => expect(b.client(token).read("sys/mounts")).rejects.toBeInstanceOf(PermissionDeniedError), BOUND);
    });
  });
}

