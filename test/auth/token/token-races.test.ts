/**
 * Token use counts and revocation under concurrency: `num_uses` holds whatever the parallelism,
 * and a revocation leaves nothing behind that a request in flight at that moment created —
 * neither a lease (nor its database user) nor a child token — over many timings.
 */
import { describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage, PermissionDeniedError, type Client } from "../../../src/index.js";
import { FakeDatabase } from "../../fakes/fake-database-plugin.js";
import { mountFakeDatabase, useEngineFixture } from "../../support/engine-fixture.js";

const freshEngine = useEngineFixture();

async function seed() {
  const setup = await freshEngine();
  await setup.root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
  await setup.root.write("sys/policy/maker", { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
  return setup;
}

async function createToken(client: Client, data: Record<string, unknown>) {
  return (await client.write("auth/token/create", data)).auth!;
}

/** Lets `count` microtask turns pass: the knob that moves a revocation through a request. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve();
}

/** Ids of the leases stored under `prefix` (pending ones included: they are in storage too). */
async function storedLeases(storage: MemoryStorage, prefix: string): Promise<string[]> {
  return storage.list(`sys/expire/id/${prefix}`);
}

describe("num_uses under parallel requests", () => {
  it.each([
    { uses: 1, parallel: 10 },
    { uses: 3, parallel: 20 },
  ])("a token with num_uses $uses serves exactly $uses of $parallel parallel requests", async ({ uses, parallel }) => {
    const { root, engine } = await seed();
    const app = engine.client((await createToken(root, { policies: ["apps"], num_uses: uses })).client_token);
    const results = await Promise.allSettled(Array.from({ length: parallel }, () => app.read("auth/token/lookup-self")));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(uses);
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
    expect(refused).toHaveLength(parallel - uses);
    for (const { reason } of refused) expect(reason).toBeInstanceOf(PermissionDeniedError);
    await expect(app.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("counts uses across two engines sharing one storage", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const storage = new MemoryStorage();
    await using a = await Engine.open({ storage, clock });
    const { rootToken } = await a.initialize();
    await using b = await Engine.open({ storage, clock });
    const token = (await createToken(a.client(rootToken), { policies: ["default"], num_uses: 3 })).client_token;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).client(token).read("auth/token/lookup-self")),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(3);
  });

  it("over 30 timings, a renewal in flight never gives back uses that requests consumed", async () => {
    const { root, engine } = await seed();
    for (let delay = 0; delay < 30; delay++) {
      const auth = await createToken(root, { policies: ["apps"], num_uses: 3, ttl: "1h" });
      const app = engine.client(auth.client_token);
      const first = app.read("auth/token/lookup-self");
      const renewal = root.write("auth/token/renew-accessor", { accessor: auth.accessor });
      await turns(delay);
      const rest = Array.from({ length: 5 }, () => app.read("auth/token/lookup-self"));
      const results = await Promise.allSettled([first, renewal, ...rest]);
      const served = results.filter((result, i) => i !== 1 && result.status === "fulfilled").length;
      expect({ delay, served }).toEqual({ delay, served: 3 });
    }
  });
});

describe("revocation racing requests in flight", () => {
  it("a creds request held in flight across its token's revocation leaves no user and no lease", async () => {
    const { root, engine, db } = await seed();
    const auth = await createToken(root, { policies: ["apps"] });
    let release!: () => void;
    let entered!: () => void;
    const inCreate = new Promise<void>((resolve) => (entered = resolve));
    db.beforeCreate = () => {
      entered();
      return new Promise<void>((resolve) => (release = resolve));
    };
    const request = engine.client(auth.client_token).read("database/creds/readonly");
    await inCreate; // the lease is pending, the user about to be created
    await root.write("auth/token/revoke-accessor", { accessor: auth.accessor });
    release();
    await expect(request).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(db.users.size).toBe(0);
    expect((await root.list("sys/leases/lookup/database/creds/readonly").catch(() => ({ data: { keys: [] } }))).data!.keys).toEqual([]);
  });

  it("over 60 timings, no lease or database user survives a revocation racing creds requests", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const db = new FakeDatabase();
    await using engine = await Engine.open({ storage, clock, plugins: [db.plugin()] });
    const root = engine.client((await engine.initialize()).rootToken);
    await configureFakeDatabase(root);
    let survivors = 0;
    let served = 0;
    for (let delay = 0; delay < 60; delay++) {
      const auth = await createToken(root, { policies: ["apps"] });
      const app = engine.client(auth.client_token);
      db.beforeCreate = () => turns(delay % 7);
      const requests = Promise.allSettled([app.read("database/creds/readonly"), app.read("database/creds/readonly")]);
      await turns(delay);
      await root.write("auth/token/revoke-accessor", { accessor: auth.accessor });
      const results = await requests;
      for (const result of results) if (result.status === "rejected") expect(result.reason).toBeInstanceOf(PermissionDeniedError);
      served += results.filter((result) => result.status === "fulfilled").length;
      survivors += db.users.size + (await storedLeases(storage, "database/")).length;
      db.users.clear();
      await expect(app.read("database/creds/readonly")).rejects.toBeInstanceOf(PermissionDeniedError);
    }
    expect(survivors).toBe(0);
    expect(served).toBeGreaterThan(0); // some timings let requests finish first: they are revoked too
    expect(await storage.list("sys/expire/token/")).toEqual([]); // and the token → lease index is clean
  });

  it("over 60 timings, no child token survives its parent's revocation racing its creation", async () => {
    const { root, engine } = await seed();
    let survivors = 0;
    for (let delay = 0; delay < 60; delay++) {
      const parent = await createToken(root, { policies: ["maker", "apps"] });
      const creations = Promise.allSettled(
        [0, 1].map(() => engine.client(parent.client_token).write("auth/token/create", { policies: ["apps"], ttl: delay % 2 ? "1h" : undefined })),
      );
      await turns(delay);
      await root.write("auth/token/revoke-accessor", { accessor: parent.accessor });
      for (const result of await creations) {
        if (result.status === "rejected") {
          expect(result.reason).toBeInstanceOf(PermissionDeniedError);
          continue;
        }
        const alive = await engine
          .client(result.value.auth!.client_token)
          .read("auth/token/lookup-self")
          .then(() => true, () => false);
        if (alive) survivors++;
      }
    }
    expect(survivors).toBe(0);
    const accessors = (await root.list("auth/token/accessors")).data!.keys as string[];
    expect(accessors).toHaveLength(1); // the root token's
    const tokenLeases = await root.list("sys/leases/lookup/auth/token/create").then((r) => r.data!.keys as string[], () => []);
    expect(tokenLeases).toEqual([]);
  });

  it("over 40 timings, a renewal racing the revocation never brings the revoked token's lease back", async () => {
    const { root, engine } = await seed();
    const tokenLeaseIds = () => root.list("sys/leases/lookup/auth/token/create").then((r) => r.data!.keys as string[], () => []);
    for (let delay = 0; delay < 40; delay++) {
      const auth = await createToken(root, { policies: ["apps"], ttl: "1h" });
      const [leaseId] = await tokenLeaseIds();
      const revocation = root.write("auth/token/revoke-accessor", { accessor: auth.accessor });
      await turns(delay);
      const renewal = await Promise.allSettled([root.write("sys/leases/renew", { lease_id: `auth/token/create/${leaseId}` })]);
      await revocation;
      void renewal;
    }
    expect(await tokenLeaseIds()).toEqual([]);
  });

  it("a request that starts after its parent's revocation returned is refused", async () => {
    const { root, engine } = await seed();
    const parent = await createToken(root, { policies: ["maker", "apps"] });
    const child = await createToken(engine.client(parent.client_token), { policies: ["apps"] });
    await root.write("auth/token/revoke-accessor", { accessor: parent.accessor });
    await expect(engine.client(child.client_token).read("database/creds/readonly")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(engine.client(parent.client_token).write("auth/token/create", {})).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});

describe("revocation across engines on one storage", () => {
  it("a token used on engine B and revoked on engine A takes B's leases and users with it", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const storage = new MemoryStorage();
    const db = new FakeDatabase();
    const plugins = [db.plugin()];
    await using a = await Engine.open({ storage, clock, plugins });
    const root = a.client((await a.initialize()).rootToken);
    await configureFakeDatabase(root);
    await using b = await Engine.open({ storage, clock, plugins });
    const token = (await createToken(b.client((await createToken(root, { policies: ["root"] })).client_token), { policies: ["apps"] })).client_token;
    const issued = [await b.client(token).read("database/creds/readonly"), await b.client(token).read("database/creds/readonly")];
    expect(db.users.size).toBe(2);
    await root.write("auth/token/revoke", { token });
    expect(db.users.size).toBe(0);
    for (const { lease_id } of issued) await expect(root.write("sys/leases/lookup", { lease_id })).rejects.toThrow();
  });

  it("leases stored before the token → lease index existed are still revoked with their token", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const storage = new MemoryStorage();
    const db = new FakeDatabase();
    const plugins = [db.plugin()];
    const first = await Engine.open({ storage, clock, plugins });
    const rootToken = (await first.initialize()).rootToken;
    await configureFakeDatabase(first.client(rootToken));
    const token = (await createToken(first.client(rootToken), { policies: ["apps"] })).client_token;
    await first.client(token).read("database/creds/readonly");
    await first.close();
    // What an older version left: lease records and no index.
    for (const key of await storage.list("sys/expire/token/")) await storage.delete(key);
    await using upgraded = await Engine.open({ storage, clock, plugins });
    await upgraded.client(rootToken).write("auth/token/revoke", { token });
    expect(db.users.size).toBe(0);
    expect(await storedLeases(storage, "database/")).toEqual([]);
  });
});

async function configureFakeDatabase(root: Client): Promise<void> {
  await root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
  await mountFakeDatabase(root);
}
