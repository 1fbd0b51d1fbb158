/**
 * PostgresStorage's change feed: LISTEN/NOTIFY on a dedicated connection, confirmed by a heartbeat,
 * recovering from a terminated connection; a host pool without `connect()` polls the version.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { EncryptedStorage, PostgresStorage, type Storage } from "../../../src/index.js";
import type { ChangeWatch } from "../../../src/storage/storage.js";
import { useTestDatabase } from "../../support/database.js";

const db = useTestDatabase();
let tables = 0;
const BOUND = { timeout: 1_000, interval: 10 };
const bytes = (text: string) => new TextEncoder().encode(text);

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => undefined);
});

function track<T extends Storage | ChangeWatch>(thing: T): T {
  cleanup.push(async () => thing.close?.());
  return thing;
}

function watchInto(storage: Storage, prefixes: string[]): { seen: Array<readonly string[] | "all">; watch: ChangeWatch } {
  const seen: Array<readonly string[] | "all"> = [];
  const watch = track(storage.watch!(prefixes, (keys) => seen.push(keys)));
  return { seen, watch };
}

/**
 * Resolves once a heartbeat has come back: only a listening feed confirms itself within 50 ms (a
 * catch-up read confirms from its start, and heartbeats go round every 250 ms).
 */
async function listening(watch: ChangeWatch, timeout = 1_000): Promise<void> {
  await vi.waitFor(() => expect(watch.current(50)).toBe(true), { timeout, interval: 5 });
}

describe("PostgresStorage change feed", () => {
  it("tells another pool's watch of writes under its prefixes, and of nothing else", async () => {
    const table = `feed_${++tables}`;
    const a = track(new PostgresStorage({ connectionString: db.url, table }));
    const b = track(new PostgresStorage({ connectionString: db.url, table }));
    a.watch(["cfg/"], () => undefined); // A announces what it writes under cfg/
    const { seen, watch } = watchInto(b, ["cfg/"]);
    await listening(watch);
    await a.put("lease/1", bytes("x"));
    await a.put("cfg/one", bytes("1"));
    await a.compareAndSwap("cfg/two", undefined, bytes("2"));
    expect(await a.compareAndSwap("cfg/two", undefined, bytes("3"))).toBe(false); // failed swap: nothing announced
    await a.delete("cfg/one");
    await a.delete("cfg/never-there"); // nothing deleted: nothing announced
    // Keys notified within one hint interval of each other are passed on together.
    await vi.waitFor(() => expect(seen.flat()).toEqual(["cfg/one", "cfg/two", "cfg/one"]), BOUND);
    expect(seen).not.toContain("all");
  });

  it("announces writes made through an EncryptedStorage barrier", async () => {
    const table = `feed_${++tables}`;
    const keyring = { activeKeyId: "k", keys: { k: randomBytes(32) } };
    const a = track(new EncryptedStorage(new PostgresStorage({ connectionString: db.url, table }), keyring));
    const b = track(new EncryptedStorage(new PostgresStorage({ connectionString: db.url, table }), keyring));
    a.watch!(["cfg/"], () => undefined);
    const { seen, watch } = watchInto(b, ["cfg/"]);
    await listening(watch);
    await a.put("cfg/sealed", bytes("secret"));
    await vi.waitFor(() => expect(seen).toEqual([["cfg/sealed"]]), BOUND);
  });

  it("reconnects after its connection is terminated, and delivers (or reports as missed) a change made meanwhile", async () => {
    const table = `feed_${++tables}`;
    const a = track(new PostgresStorage({ connectionString: db.url, table }));
    const b = track(new PostgresStorage({ connectionString: db.url, table }));
    a.watch(["cfg/"], () => undefined);
    const { seen, watch } = watchInto(b, ["cfg/"]);
    await listening(watch);
    // A feed's backend shows the heartbeat as its last query only between its other statements,
    // so one look can miss it: cut what is seen until two feed connections have been cut.
    let cut = 0;
    await vi.waitFor(
      async () => {
        const { rows } = await db.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'NOTIFY "vaultlet_%_hb_%'`,
        );
        cut += rows.length;
        expect(cut).toBeGreaterThanOrEqual(2); // A's feed and B's
      },
      { timeout: 3_000, interval: 20 },
    );
    await a.put("cfg/while-down", bytes("1"));
    await vi.waitFor(() => expect(seen).toContainEqual(expect.anything()), { timeout: 3_000, interval: 20 });
    expect(watch.current(1_000)).toBe(true);
    await listening(watch, 3_000); // heartbeats again
  });

  it("polls the version record when the host pool cannot lend a listening connection", async () => {
    const table = `feed_${++tables}`;
    const slice = { query: (text: string, values?: unknown[]) => db.pool.query(text, values) };
    const a = track(new PostgresStorage({ pool: slice, table }));
    const b = track(new PostgresStorage({ pool: slice, table }));
    a.watch(["cfg/"], () => undefined);
    const { seen, watch } = watchInto(b, ["cfg/"]);
    await watch.sync();
    expect(watch.current(1_000)).toBe(true); // the read just now confirms it
    await a.put("cfg/one", bytes("1"));
    expect(seen).toEqual([]); // nothing listens
    await watch.sync();
    expect(seen).toEqual(["all"]);
    await watch.sync();
    expect(seen).toEqual(["all"]); // nothing new
  });

  it("uses a connection of a host pg.Pool for LISTEN", async () => {
    const table = `feed_${++tables}`;
    const a = track(new PostgresStorage({ pool: db.pool, table }));
    const b = track(new PostgresStorage({ pool: db.pool, table }));
    a.watch(["cfg/"], () => undefined);
    const { seen, watch } = watchInto(b, ["cfg/"]);
    await listening(watch);
    await a.put("cfg/one", bytes("1"));
    await vi.waitFor(() => expect(seen).toEqual([["cfg/one"]]), BOUND);
  });
});
