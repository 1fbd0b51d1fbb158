/**
 * Engines on shared storage write a heartbeat record each (`Engine.peers`), which an operator's
 * process reads to see who runs and how far their clocks are apart; and `Engine.changeFeed`.
 */
import { describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage, type ClaimRequest, type Storage } from "../../src/index.js";
import { EngineHeartbeat } from "../../src/observability/engine-heartbeat.js";
import { JsonStore } from "../../src/storage/json-store.js";

/** MemoryStorage that says it is shared (claims nothing): what makes an engine write heartbeats. */
class SharedMemoryStorage extends MemoryStorage {
  async claimDue(_request: ClaimRequest): Promise<string[]> {
    return [];
  }
}

/** A ticker the test drives instead of a real interval. */
function manualTicker() {
  const beats = new Set<() => void>();
  return {
    every: (beat: () => void) => (beats.add(beat), () => void beats.delete(beat)),
    tick: () => beats.forEach((beat) => beat()),
    get running() {
      return beats.size;
    },
  };
}

/** Spins the event loop (no timers) until `probe` finds something, at most 1,000 turns. */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let turn = 0; turn < 1000; turn++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("never found");
}

describe("EngineHeartbeat", () => {
  it("writes its record at start and at each beat with its clock's reading and a growing count, and removes it at close", async () => {
    const store = new JsonStore(new MemoryStorage(), "sys/engines/");
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const ticker = manualTicker();
    const heartbeat = new EngineHeartbeat({ store, clock, changeFeed: () => "current", every: ticker.every });
    await heartbeat.start();
    expect(await heartbeat.peers()).toEqual([
      expect.objectContaining({ id: heartbeat.id, heartbeatAt: Date.UTC(2026, 0, 1), startedAt: Date.UTC(2026, 0, 1), beats: 1, changeFeed: "current", pid: process.pid, self: true }),
    ]);
    await clock.advance("7s");
    ticker.tick();
    ticker.tick();
    const third = await eventually(async () => (await heartbeat.peers()).find((peer) => peer.beats === 3));
    expect(third).toMatchObject({ heartbeatAt: Date.UTC(2026, 0, 1) + 7000, startedAt: Date.UTC(2026, 0, 1) });
    await heartbeat.close();
    expect(ticker.running).toBe(0);
    expect(await store.list()).toEqual([]);
  });

  it("writes one beat at a time, in order: the last record holds the last count", async () => {
    const store = new JsonStore(new MemoryStorage(), "sys/engines/");
    const ticker = manualTicker();
    const heartbeat = new EngineHeartbeat({ store, clock: new ManualClock(), changeFeed: () => "behind", every: ticker.every });
    await heartbeat.start();
    for (let i = 0; i < 5; i++) ticker.tick();
    const other = new EngineHeartbeat({ store, clock: new ManualClock(), changeFeed: () => "none", every: manualTicker().every });
    await other.start();
    await eventually(async () => (await other.peers()).find((peer) => peer.id === heartbeat.id && peer.beats === 6));
    const peers = await other.peers();
    expect(peers.find((peer) => peer.id === heartbeat.id)).toMatchObject({ beats: 6, changeFeed: "behind", self: false });
    expect(peers.find((peer) => peer.id === other.id)).toMatchObject({ beats: 1, self: true });
    await Promise.all([heartbeat.close(), other.close()]);
  });

  it("forgets, at start, records whose last heartbeat is over a day old, and skips records it cannot read", async () => {
    const storage = new MemoryStorage();
    const store = new JsonStore(storage, "sys/engines/");
    const clock = new ManualClock(Date.UTC(2026, 0, 2));
    await store.put("dead", { id: "dead", hostname: "h", pid: 1, started_at: 0, at: Date.UTC(2025, 11, 31), beats: 9, change_feed: "current" });
    await store.put("quiet", { id: "quiet", hostname: "h", pid: 2, started_at: 0, at: Date.UTC(2026, 0, 1, 12), beats: 9, change_feed: "current" });
    await storage.put("sys/engines/garbage", new TextEncoder().encode('"not a heartbeat"'));
    const heartbeat = new EngineHeartbeat({ store, clock, changeFeed: () => "current", every: manualTicker().every });
    await heartbeat.start();
    expect((await heartbeat.peers()).map((peer) => peer.id).sort()).toEqual([heartbeat.id, "quiet"].sort());
    await heartbeat.close();
  });
});

describe("Engine.peers and Engine.changeFeed", () => {
  it("on shared storage, lists every open engine, itself marked, and drops one that closes", async () => {
    const storage = new SharedMemoryStorage();
    const first = await Engine.open({ storage });
    const second = await Engine.open({ storage });
    const seen = await first.peers();
    expect(seen).toHaveLength(2);
    expect(seen.filter((peer) => peer.self)).toHaveLength(1);
    expect(seen.every((peer) => peer.pid === process.pid && peer.beats >= 1 && peer.changeFeed === "current")).toBe(true);
    const own = seen.find((peer) => peer.self)!.id;
    await first.close();
    const left = await second.peers();
    expect(left.map((peer) => peer.id)).not.toContain(own);
    expect(left).toHaveLength(1);
    await second.close();
    expect(await storage.list("sys/engines/")).toEqual([]);
  });

  it("on storage used by one process, writes nothing and lists no one", async () => {
    const storage = new MemoryStorage();
    const engine = await Engine.open({ storage });
    expect(await engine.peers()).toEqual([]);
    expect(await storage.list("sys/engines/")).toEqual([]);
    expect(engine.changeFeed).toBe("current"); // MemoryStorage's in-process feed
    await engine.close();
  });

  it("says \"none\" for a storage without a change feed", async () => {
    const inner = new MemoryStorage();
    const feedless: Storage = {
      atRest: "volatile",
      get: (key) => inner.get(key),
      put: (key, value) => inner.put(key, value),
      delete: (key) => inner.delete(key),
      list: (prefix) => inner.list(prefix),
    };
    const engine = await Engine.open({ storage: feedless });
    expect(engine.changeFeed).toBe("none");
    await engine.close();
  });
});
