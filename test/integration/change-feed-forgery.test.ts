/**
 * Issue 20, item 1: the change feed trusts no one. Any role that can connect may `NOTIFY` on the
 * feed's channel (its name is computable from the table's) and `LISTEN` on it. Here a credential
 * the engine itself issued (the guide's readonly role) forges a huge version, a version gap and
 * heartbeats, floods the channel, and listens: it learns key names and decides nothing.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import type pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Engine, ManualClock, PermissionDeniedError, PostgresStorage, type Storage } from "../../src/index.js";
import { HINT_INTERVAL_MS, type ListenConnection } from "../../src/storage/postgres/postgres-change-feed.js";
import type { ChangeWatch } from "../../src/storage/storage.js";
import { READONLY_SQL } from "../../examples/seed-guide.js";
import { useTestDatabase } from "../support/database.js";
import { connectionConfig, openEngineFixture, sealedForTest, type EngineFixture } from "../support/engine-fixture.js";
import type { TestDatabase } from "../support/database.js";

const db = useTestDatabase();
let tables = 0;
/** The propagation bound under test (PROPAGATION_BOUND_MS). */
const BOUND = { timeout: 1_000, interval: 20 };
const ALLOW_MOUNTS = 'path "sys/mounts" { capabilities = ["read"] }';
const ALLOW_POLICIES = 'path "sys/policy" { capabilities = ["read"] }';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => undefined);
});

/** The channel of a table's announced writes, as anyone can compute it from the table's name. */
function channelOf(table: string): string {
  return `vaultlet_${createHash("sha256").update(`"vaultlet"."${table}"`).digest("hex").slice(0, 24)}`;
}

/** An engine issuing the guide's readonly role on the test database; returns a client logged in as one it issued. */
async function issuedCredential(fixture?: EngineFixture<TestDatabase>): Promise<pg.Client> {
  const fx = fixture ?? (await openEngineFixture({ database: db, clock: new ManualClock(), role: false, allowedRoles: "app" }));
  if (!fixture) cleanup.push(() => fx.engine.close());
  await fx.root.write("database/roles/app", { db_name: "postgresql", creation_statements: READONLY_SQL, default_ttl: "1h" });
  const creds = await fx.issue("app");
  return db.connectAs(creds.username, creds.password);
}

/** Engines A and B on one table; the attacker holds a credential A issued. B's mount-table re-reads are counted. */
async function openPair() {
  const table = `forgery_${++tables}`;
  const a = await openEngineFixture({ database: db, storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table })), clock: new ManualClock(), role: false, allowedRoles: "app" });
  cleanup.push(() => a.engine.close());
  const storageB = new PostgresStorage({ connectionString: db.url, table });
  const lists = vi.spyOn(storageB, "list");
  const b = await Engine.open({ storage: sealedForTest(storageB), clock: a.clock });
  cleanup.push(() => b.close());
  const attacker = await issuedCredential(a);
  await a.root.write("sys/policy/apps", { policy: ALLOW_MOUNTS });
  const token = (await a.root.write("auth/token/create", { policies: ["apps"] })).auth!.client_token;
  await b.client(token).read("sys/mounts"); // B has compiled the policy
  const mountReads = () => lists.mock.calls.filter(([prefix]) => prefix.startsWith("core/mounts/")).length;
  return { a, b, token, attacker, channel: channelOf(table), mountReads };
}

/** The engines' listening connections (pid → last statement): only LISTEN and heartbeats run there. */
async function feedBackends(): Promise<Map<number, string>> {
  const { rows } = await db.query<{ pid: number; query: string }>(
    `SELECT pid, query FROM pg_stat_activity
      WHERE datname = current_database() AND usename = current_user AND pid <> pg_backend_pid()
        AND (query LIKE 'LISTEN%' OR query LIKE 'NOTIFY "vaultlet_%_hb_%')`,
  );
  return new Map(rows.map((row) => [row.pid, row.query]));
}

/** Resolves once `count` feeds listen, with their backends. */
async function feedsListening(count: number): Promise<Map<number, string>> {
  let feeds = new Map<number, string>();
  await vi.waitFor(
    async () => {
      feeds = await feedBackends();
      expect(feeds.size).toBeGreaterThanOrEqual(count);
    },
    { timeout: 3_000, interval: 10 },
  );
  return feeds;
}

/**
 * Resolves once every backend of `before` has sent a later heartbeat: notifications committed
 * before are then on their way to its client, ahead of that heartbeat.
 */
async function heartbeatsPassed(before: Map<number, string>): Promise<void> {
  await vi.waitFor(
    async () => {
      const now = await feedBackends();
      for (const [pid, query] of before) expect(now.get(pid)).not.toBe(query);
    },
    { timeout: 3_000, interval: 10 },
  );
}

/** Terminates the feeds' listening connections and resolves once their backends are gone. */
async function cutFeeds(feeds: Map<number, string>): Promise<void> {
  const pids = [...feeds.keys()];
  await db.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]);
  await vi.waitFor(
    async () => expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])", [pids])).rows[0]!.n).toBe(0),
    { timeout: 3_000, interval: 5 },
  );
}

/** How long `request` took to answer (ms); rejects when it has not answered within `limitMs`. */
async function timed(request: Promise<unknown>, limitMs: number): Promise<number> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([request, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs)))]);
  } finally {
    clearTimeout(timer);
  }
  return performance.now() - start;
}

describe("the change feed against a credential the engine issued", () => {
  it("a forged huge version does not blind the catch-up after the listening connection is lost", async () => {
    const { a, b, token, attacker, channel } = await openPair();
    const feeds = await feedsListening(2);
    await attacker.query(`NOTIFY "${channel}", '999999999999999 sys/policy/apps'`);
    await heartbeatsPassed(feeds);
    await b.client(token).read("sys/mounts"); // whatever the forgery dropped, B has compiled the policy again
    await cutFeeds(feeds);
    await a.root.write("sys/policy/apps", { policy: ALLOW_POLICIES }); // while B's feed is down
    await vi.waitFor(() => expect(b.client(token).read("sys/mounts")).rejects.toBeInstanceOf(PermissionDeniedError), BOUND);
    await b.client(token).read("sys/policy");
  });

  it("a flood of notifications costs at most one re-read per interval; requests keep being served and a real change still arrives", async () => {
    const { a, b, token, attacker, channel, mountReads } = await openPair();
    const feeds = await feedsListening(2);
    const rootB = b.client(a.rootToken);
    const readsBefore = mountReads();
    const started = performance.now();
    let flooding = true;
    let sent = 0;
    const flood = (async () => {
      // Distinct payloads (identical ones in a transaction are folded), under every watched prefix.
      for (let round = 0; flooding; round++) {
        await attacker.query(
          `SELECT count(pg_notify($1, '1 ' || prefix || $2::text || '-' || g))
             FROM generate_series(1, 200) AS g, unnest(ARRAY['core/mounts/f', 'sys/policy/f', 'logical/f', 'core/audit', 'core/init']) AS prefix`,
          [channel, round],
        );
        sent += 1_000;
      }
    })();
    const latencies: number[] = [];
    const serveFor = async (untilMs: number) => {
      while (performance.now() - started < untilMs) latencies.push(await timed(rootB.read("sys/mounts"), 2_000));
    };
    await serveFor(500);
    await a.root.write("sys/policy/apps", { policy: ALLOW_POLICIES });
    await vi.waitFor(() => expect(b.client(token).read("sys/mounts")).rejects.toBeInstanceOf(PermissionDeniedError), BOUND);
    await serveFor(1_500);
    flooding = false;
    await flood;
    await heartbeatsPassed(feeds); // every forged notification has reached B
    const elapsed = performance.now() - started;
    expect(sent).toBeGreaterThanOrEqual(5_000);
    expect(Math.max(...latencies)).toBeLessThan(500);
    expect(mountReads() - readsBefore).toBeLessThanOrEqual(Math.ceil(elapsed / HINT_INTERVAL_MS) + 3);
  });

  it("a credential listening on the channel learns which key changed, never its value", async () => {
    const { a, attacker, channel } = await openPair();
    const heard: string[] = [];
    attacker.on("notification", (message) => heard.push(message.payload ?? ""));
    await attacker.query(`LISTEN "${channel}"`);
    await a.root.write("database/config/postgresql", connectionConfig(db)); // holds the admin password
    await vi.waitFor(() => expect(heard.some((payload) => payload.includes("/config/postgresql"))).toBe(true), BOUND);
    for (const payload of heard) {
      expect(payload).toMatch(/^\d+ (core|logical|sys)\/[\w/.-]+$/);
      expect(payload).not.toContain(db.password);
    }
  });
});

describe("PostgresChangeFeed against a credential the engine issued", () => {
  const watchInto = (storage: Storage, prefixes: string[]) => {
    const seen: Array<readonly string[] | "all"> = [];
    const watch = storage.watch!(prefixes, (keys) => seen.push(keys));
    cleanup.push(() => watch.close());
    return { seen, watch };
  };
  const listening = (watch: ChangeWatch) => vi.waitFor(() => expect(watch.current(50)).toBe(true), { timeout: 1_000, interval: 5 });

  it("a forged version is no gap: the key is passed on as a hint, never as 'everything changed'", async () => {
    const table = `forgery_${++tables}`;
    const a = new PostgresStorage({ connectionString: db.url, table });
    const b = new PostgresStorage({ connectionString: db.url, table });
    cleanup.push(() => a.close(), () => b.close());
    a.watch(["cfg/"], () => undefined);
    const { seen, watch } = watchInto(b, ["cfg/"]);
    await listening(watch);
    const attacker = await issuedCredential();
    await attacker.query(`SELECT pg_notify($1, '999999999999 cfg/forged'), pg_notify($1, '5 elsewhere/ignored')`, [channelOf(table)]);
    await a.put("cfg/real", new TextEncoder().encode("1"));
    await vi.waitFor(() => expect(seen.flat()).toContain("cfg/real"), BOUND);
    expect(seen.flat()).toEqual(["cfg/forged", "cfg/real"]);
  });

  it("a forged heartbeat does not make a feed current", async () => {
    const table = `forgery_${++tables}`;
    // The feed's heartbeats are lost on the way (never sent), so nothing real confirms it; the
    // statement text it would have sent is what pg_stat_activity or a statement log shows.
    const heartbeats: string[] = [];
    const pool = {
      query: (text: string, values?: unknown[]) => db.pool.query(text, values),
      connect: async () => swallowingHeartbeats(await db.pool.connect(), heartbeats),
    };
    const storage = new PostgresStorage({ pool, table });
    cleanup.push(() => storage.close());
    const { seen, watch } = watchInto(storage, ["cfg/"]);
    await vi.waitFor(() => expect(heartbeats.length).toBeGreaterThanOrEqual(4), { timeout: 3_000, interval: 10 });
    expect(watch.current(400)).toBe(false);
    const attacker = await issuedCredential();
    for (let round = 0; round < 5; round++) {
      const [, channel, seq] = /^NOTIFY "([^"]+)", '(\d+)'$/.exec(heartbeats.at(-1)!)!;
      await attacker.query("SELECT pg_notify($1, s::text) FROM generate_series($2::int, $2::int + 3) AS s", [channel, Number(seq)]);
      // Delivered in commit order: once the marker is heard, the forgeries were too.
      await attacker.query("SELECT pg_notify($1, $2)", [channelOf(table), `1 cfg/marker-${round}`]);
      await vi.waitFor(() => expect(seen.flat()).toContain(`cfg/marker-${round}`), BOUND);
      expect(watch.current(400)).toBe(false);
    }
  });
});

/** A pool connection whose heartbeat `NOTIFY`s are recorded and dropped instead of sent. */
function swallowingHeartbeats(client: pg.PoolClient, sent: string[]): ListenConnection {
  return {
    query: (text: string) => {
      if (/^NOTIFY "[^"]*_hb_/.test(text)) {
        sent.push(text);
        return Promise.resolve(undefined);
      }
      return client.query(text);
    },
    on: (event: string, listener: (...args: never[]) => void) => client.on(event as "notification", listener as never),
    release: (err?: Error | boolean) => client.release(err),
  } as ListenConnection;
}
