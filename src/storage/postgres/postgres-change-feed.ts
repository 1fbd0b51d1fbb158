/**
 * The listening side of {@link PostgresStorage}'s change feed: `LISTEN` on a dedicated connection,
 * a heartbeat that proves the feed is current, and a version record to catch up after an outage.
 *
 * Any role that can connect to the database may `NOTIFY` on the feed's channel (its name is
 * computable) or `LISTEN` on it, so a notification decides nothing: its key is a hint to re-read
 * that key from storage, its version number is ignored, only the listening connection's own
 * heartbeats confirm the feed, and hints are passed on at most once per {@link HINT_INTERVAL_MS}.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { ChangeListener, ChangeWatch } from "../storage.js";

/** A notification as `pg` delivers it. */
export interface ListenNotification {
  channel: string;
  payload?: string;
  /**
   * The PID of the backend that sent it, stamped by the server (no session can borrow another's).
   * A heartbeat counts only when it is the listening connection's own.
   */
  processId?: number;
}

/** The slice of `pg.Client` (or a `pg.PoolClient`) a feed listens on. */
export interface ListenConnection {
  /** A simple query; the feed reads `rows` of the last statement's result (its backend's PID). */
  query(text: string): Promise<unknown>;
  on(event: "notification", listener: (message: ListenNotification) => void): unknown;
  on(event: "error" | "end", listener: (err?: Error) => void): unknown;
  /** A pool client is given back (and destroyed, after an error) with `release`… */
  release?(err?: Error | boolean): void;
  /** …a client of its own is ended. */
  end?(): Promise<void>;
}

/** What a feed needs from its storage. */
export interface ChangeFeedOptions {
  /** The channel every announcing write notifies (`<version> <key>` payloads). */
  channel: string;
  /** Opens the dedicated listening connection; absent: no listening, the feed polls the version. */
  connect: (() => Promise<ListenConnection>) | undefined;
  /** Reads the version record (through the storage's ordinary pool). */
  readVersion: () => Promise<number>;
  /** Watched key prefixes: notifications for other keys are ignored. */
  prefixes: readonly string[];
  listener: ChangeListener;
  /** How often the heartbeat goes round (ms, default 250). */
  heartbeatMs?: number;
}

/**
 * How often, at most, a feed passes notified keys on to its listener (ms). The first key after a
 * quiet interval goes at once; keys notified within the interval after it are collected and passed
 * on together when it ends. So a flood of notifications costs each engine at most one re-read per
 * interval, and a real change still arrives well within the propagation bound (1 s).
 */
export const HINT_INTERVAL_MS = 250;

/** More distinct keys than this collected in one interval are passed on as "everything" (one bounded re-read). */
export const MAX_HINTED_KEYS = 256;

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2_000;

/**
 * One watch. Notifications are delivered in commit order, so when the feed's own heartbeat
 * notification comes back, every change committed before it was sent has arrived: that send time
 * is what {@link PostgresChangeFeed.current} measures from (or, while keys are held back for the
 * interval, the confirmation in force when keys were last passed on). While the connection is down
 * (or absent) nothing confirms the feed, and the caller falls back to {@link PostgresChangeFeed.sync}.
 */
export class PostgresChangeFeed implements ChangeWatch {
  readonly #options: ChangeFeedOptions;
  readonly #heartbeatChannel: string;
  readonly #heartbeatMs: number;
  #connection: ListenConnection | undefined;
  /** The listening connection's backend PID: only notifications it sent are heartbeats. */
  #backendPid: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reconnectDelay = RECONNECT_MIN_MS;
  /** The version last read from storage (never a notified number); `undefined` until the first read. */
  #version: number | undefined;
  /** Reads of the version started, and the latest one whose answer was taken. */
  #readsStarted = 0;
  #readTaken = 0;
  /** Monotonic time (ms) up to which every change is known to have arrived. */
  #confirmedAt = -Infinity;
  #heartbeatSeq = 0;
  readonly #heartbeatsSent = new Map<number, number>();
  /** Whether the listening connection is up and was followed by a catch-up read. */
  #listening = false;
  /** Keys notified and not yet passed on (`"all"`: anything may have changed). */
  #held: Set<string> | "all" | undefined;
  #hintTimer: NodeJS.Timeout | undefined;
  /** When keys were last passed on, and the confirmation then in force. */
  #passedAt = -Infinity;
  #passedThrough = -Infinity;
  #closed = false;

  /** @param options - channel, connection and listener */
  constructor(options: ChangeFeedOptions) {
    this.#options = options;
    this.#heartbeatChannel = `${options.channel}_hb_${randomBytes(6).toString("hex")}`;
    this.#heartbeatMs = options.heartbeatMs ?? 250;
    if (options.connect) void this.#connect();
  }

  /** @inheritdoc */
  current(withinMs: number): boolean {
    // Keys held back have arrived but not been delivered: vouch only for what was passed on.
    const through = this.#held === undefined ? this.#confirmedAt : this.#passedThrough;
    return performance.now() - through <= withinMs;
  }

  /**
   * Reads the version record: a version other than the one last read means something changed
   * since (whether or not it was notified), and the listener is told `"all"`. Keys held back are
   * passed on now. A spurious `"all"` (changes that were notified) costs a re-read, nothing more.
   *
   * The contract is {@link ChangeWatch.sync}.
   */
  async sync(): Promise<void> {
    const startedAt = performance.now();
    const read = ++this.#readsStarted;
    const version = await this.#options.readVersion();
    if (read < this.#readTaken) return; // a later read was answered first and covers this one
    this.#readTaken = read;
    const changed = this.#version !== undefined && version !== this.#version;
    this.#version = version;
    this.#confirm(startedAt);
    if (changed) this.#held = "all";
    this.#pass();
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#hintTimer);
    await this.#drop(undefined);
  }

  async #connect(): Promise<void> {
    let connection: ListenConnection | undefined;
    try {
      connection = await this.#options.connect!();
      if (this.#closed) return void (await this.#dispose(connection, undefined));
      this.#connection = connection;
      connection.on("notification", (message) => this.#onNotification(message));
      connection.on("error", (err) => void this.#lost(connection!, err));
      connection.on("end", () => void this.#lost(connection!, undefined));
      const listened = await connection.query(
        `LISTEN ${quote(this.#options.channel)}; LISTEN ${quote(this.#heartbeatChannel)}; SELECT pg_backend_pid() AS pid`,
      );
      this.#backendPid = backendPidOf(listened);
      // Changes committed before LISTEN took effect were not notified: the version catches them.
      await this.sync();
      this.#listening = true;
      this.#reconnectDelay = RECONNECT_MIN_MS;
      this.#schedule(0);
    } catch (err) {
      if (connection) await this.#lost(connection, err as Error);
      else this.#retryLater();
    }
  }

  #onNotification(message: ListenNotification): void {
    if (message.channel === this.#heartbeatChannel) return this.#onHeartbeat(message);
    if (message.channel !== this.#options.channel) return;
    const key = hintedKey(message.payload ?? "");
    if (key === undefined || this.#options.prefixes.some((prefix) => key.startsWith(prefix))) this.#hint(key);
  }

  /** Confirms the feed, if this is the heartbeat the listening connection itself sent last. */
  #onHeartbeat(message: ListenNotification): void {
    // The server stamps each notification with its sender's PID: whoever else reads the channel
    // name and sequence (pg_stat_activity, a statement log) cannot send one of ours.
    if (this.#backendPid === undefined || message.processId !== this.#backendPid) return;
    const seq = Number(message.payload);
    const sentAt = this.#heartbeatsSent.get(seq);
    this.#heartbeatsSent.delete(seq);
    if (sentAt !== undefined && this.#listening) this.#confirm(sentAt);
  }

  /**
   * Holds a notified key (`undefined`: anything may have changed) for the listener: passed on at
   * once after a quiet interval, else together with the others when the interval ends.
   */
  #hint(key: string | undefined): void {
    if (key === undefined || this.#held === "all") this.#held = "all";
    else {
      this.#held ??= new Set();
      this.#held.add(key);
      if (this.#held.size > MAX_HINTED_KEYS) this.#held = "all";
    }
    if (this.#hintTimer !== undefined) return;
    const wait = this.#passedAt + HINT_INTERVAL_MS - performance.now();
    if (wait <= 0) return this.#pass();
    this.#hintTimer = setTimeout(() => this.#pass(), wait);
    this.#hintTimer.unref();
  }

  /** Passes what is held on to the listener now. */
  #pass(): void {
    clearTimeout(this.#hintTimer);
    this.#hintTimer = undefined;
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#passedAt = performance.now();
    this.#passedThrough = this.#confirmedAt;
    this.#deliver(held === "all" ? "all" : [...held]);
  }

  /** Sends the next heartbeat (one at a time: an unanswered one means the feed is not current). */
  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#heartbeat(), delayMs);
    this.#timer.unref();
  }

  async #heartbeat(): Promise<void> {
    const connection = this.#connection;
    if (!connection || this.#closed) return;
    const seq = ++this.#heartbeatSeq;
    this.#heartbeatsSent.clear();
    this.#heartbeatsSent.set(seq, performance.now());
    try {
      await connection.query(`NOTIFY ${quote(this.#heartbeatChannel)}, '${seq}'`);
      if (this.#connection === connection) this.#schedule(this.#heartbeatMs);
    } catch (err) {
      await this.#lost(connection, err as Error);
    }
  }

  /** The connection failed or ended: drop it and reconnect (once per connection). */
  async #lost(connection: ListenConnection, err: Error | undefined): Promise<void> {
    if (this.#connection !== connection) return;
    await this.#drop(err);
    this.#retryLater();
  }

  async #drop(err: Error | undefined): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#backendPid = undefined;
    this.#listening = false;
    this.#heartbeatsSent.clear();
    if (connection) await this.#dispose(connection, err);
  }

  async #dispose(connection: ListenConnection, err: Error | undefined): Promise<void> {
    try {
      if (connection.release) connection.release(err ?? true);
      else await connection.end?.();
    } catch {
      // Already gone: nothing to give back.
    }
  }

  #retryLater(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#connect(), this.#reconnectDelay);
    this.#timer.unref();
    this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, RECONNECT_MAX_MS);
  }

  #confirm(at: number): void {
    if (at > this.#confirmedAt) this.#confirmedAt = at;
  }

  #deliver(keys: readonly string[] | "all"): void {
    try {
      this.#options.listener(keys);
    } catch {
      // A listener must not throw; the feed keeps going.
    }
  }
}

/**
 * The key a data notification names (`<version> <key>`: the version is ignored), or `undefined`
 * for a payload of another form: no writer of ours sends one, so anything may have changed.
 * Payloads are under 8,000 bytes (a server limit); the anchored pattern reads at most 21 of them.
 */
function hintedKey(payload: string): string | undefined {
  const version = /^\d{1,20} /.exec(payload);
  return version ? payload.slice(version[0].length) : undefined;
}

/** The PID `SELECT pg_backend_pid() AS pid` answered, the last statement of a simple query. */
function backendPidOf(result: unknown): number {
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  const pid = (last as { rows?: Array<{ pid?: unknown }> } | undefined)?.rows?.[0]?.pid;
  if (typeof pid !== "number" || !Number.isInteger(pid)) throw new Error("the listening connection did not tell its backend's PID");
  return pid;
}

/** A channel name as an identifier (ours are `[a-z0-9_]`, but quoting costs nothing). */
function quote(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}
