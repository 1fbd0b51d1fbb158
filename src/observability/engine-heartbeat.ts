/**
 * Engines sharing one storage say that they are there: each writes a small record of its own
 * every few seconds — who it is, its clock's reading, its change feed's state — so that an
 * operator's process (`vaultlet doctor`) can see which engines run and how far their clocks are
 * apart. Leases, claims and `VALID UNTIL` all use each engine's own clock, which is why skew
 * matters and why nothing else in storage could measure it.
 *
 * Only on storage shared by several processes (one with `claimDue`): alone on a storage, an
 * engine has nobody to tell. A heartbeat is a report, never a fact anything decides on.
 *
 * @module
 */
import { hostname } from "node:os";
import type { JsonStore } from "../storage/json-store.js";
import type { Clock } from "../util/clock.js";
import { randomId } from "../util/random.js";
import type { ChangeFeedState } from "../config/config-sync.js";

/** How often each engine rewrites its heartbeat record (ms of real time). */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** The storage prefix of heartbeat records: `sys/engines/<engine id>`. */
export const HEARTBEAT_PREFIX = "sys/engines/";

/** Records whose last heartbeat is older than this (by the reader's clock) are removed at open: engines that died. */
const FORGET_AFTER_MS = 24 * 3600_000;

/**
 * One engine on the storage, as its last heartbeat says (see `Engine.peers`).
 *
 * @example
 * ```ts
 * { id: "Xq…", hostname: "api-7", pid: 4242, startedAt: 1767225600000, heartbeatAt: 1767225655000,
 *   beats: 12, changeFeed: "current", self: false }
 * ```
 */
export interface EnginePeer {
  /** A random id the engine drew when it opened. */
  readonly id: string;
  /** The machine it runs on (`os.hostname()`). */
  readonly hostname: string;
  /** Its process id on that machine. */
  readonly pid: number;
  /** When it opened, by its own clock (ms since the epoch). */
  readonly startedAt: number;
  /** Its clock's reading when it wrote this heartbeat (ms since the epoch). */
  readonly heartbeatAt: number;
  /**
   * Heartbeats it has written: a reader tells a new heartbeat from the last one by this, whatever
   * the engine's clock says (a stuck clock writes the same time again).
   */
  readonly beats: number;
  /** Its change feed when it wrote the heartbeat (see `Engine.changeFeed`). */
  readonly changeFeed: ChangeFeedState;
  /** Whether this is the engine that was asked. */
  readonly self: boolean;
}

/** The record as stored (snake_case, like every record). */
interface HeartbeatRecord {
  id: string;
  hostname: string;
  pid: number;
  started_at: number;
  at: number;
  beats: number;
  change_feed: ChangeFeedState;
}

/** What the heartbeat works with. */
export interface EngineHeartbeatOptions {
  /** The view of `sys/engines/`. */
  store: JsonStore;
  /** The engine's clock: its readings are what the records report. */
  clock: Clock;
  /** The engine's change feed, now. */
  changeFeed: () => ChangeFeedState;
  /**
   * Calls `beat` every interval until the returned function is called. Default: a real,
   * unreferenced `setInterval` of {@link HEARTBEAT_INTERVAL_MS} — not the engine's clock, whose
   * `ManualClock` in tests would run thousands of heartbeats in one `advance("2h")`.
   */
  every?: (beat: () => void) => () => void;
}

/** Writes this engine's heartbeat record while it is open, and reads everyone's. */
export class EngineHeartbeat {
  readonly #options: EngineHeartbeatOptions;
  readonly #id = randomId();
  readonly #startedAt: number;
  #beats = 0;
  #writing: Promise<void> = Promise.resolve();
  #stop: (() => void) | undefined;
  #closed = false;

  /** @param options - the store, the clock and the feed's state */
  constructor(options: EngineHeartbeatOptions) {
    this.#options = options;
    this.#startedAt = options.clock.now();
  }

  /** This engine's id in the records. */
  get id(): string {
    return this.#id;
  }

  /** Writes the first heartbeat, forgets records of engines long gone, and keeps beating. Never rejects. */
  async start(): Promise<void> {
    const every = this.#options.every ?? realInterval;
    this.#stop = every(() => void this.#beat());
    await Promise.all([this.#beat(), this.#forgetLongGone()]);
  }

  /** Every engine's last heartbeat, this one's included (`self`), sorted by id. */
  async peers(): Promise<EnginePeer[]> {
    const { store } = this.#options;
    const ids = await store.list("");
    const records = await Promise.all(ids.map((id) => store.get<HeartbeatRecord>(id).catch(() => undefined)));
    return records.filter((record): record is HeartbeatRecord => isRecord(record)).map((record) => this.#peer(record));
  }

  /** Stops beating and removes this engine's record (best effort: a record left behind only looks stale). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stop?.();
    await this.#writing;
    await this.#options.store.delete(this.#id).catch(() => undefined);
  }

  /** One write at a time, so a slow storage never has two of this engine's heartbeats racing. */
  #beat(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (this.#closed) return;
      const { store, clock, changeFeed } = this.#options;
      const record: HeartbeatRecord = {
        id: this.#id,
        hostname: hostname(),
        pid: process.pid,
        started_at: this.#startedAt,
        at: clock.now(),
        beats: ++this.#beats,
        change_feed: changeFeed(),
      };
      await store.put(this.#id, record).catch(() => undefined); // a report only: the next beat tries again
    });
    return this.#writing;
  }

  async #forgetLongGone(): Promise<void> {
    const now = this.#options.clock.now();
    try {
      for (const peer of await this.peers()) {
        if (!peer.self && now - peer.heartbeatAt > FORGET_AFTER_MS) await this.#options.store.delete(peer.id);
      }
    } catch {
      // Housekeeping only.
    }
  }

  #peer(record: HeartbeatRecord): EnginePeer {
    return {
      id: record.id,
      hostname: record.hostname,
      pid: record.pid,
      startedAt: record.started_at,
      heartbeatAt: record.at,
      beats: record.beats,
      changeFeed: record.change_feed,
      self: record.id === this.#id,
    };
  }
}

function realInterval(beat: () => void): () => void {
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function isRecord(value: unknown): value is HeartbeatRecord {
  const record = value as HeartbeatRecord | undefined;
  return typeof record === "object" && record !== null && typeof record.id === "string" && typeof record.at === "number" && typeof record.beats === "number";
}
