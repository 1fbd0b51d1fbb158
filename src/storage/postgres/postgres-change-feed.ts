/**
 * The listening side of {@link PostgresStorage}'s change feed: `LISTEN` on a dedicated connection,
 * a heartbeat that proves the feed is current, and a version record to catch up after an outage.
 *
 * @module
 */
import { performance } from "node:perf_hooks";
import type { ChangeListener, ChangeWatch } from "../storage.js";

/** The slice of `pg.Client` (or a `pg.PoolClient`) a feed listens on. */
export interface ListenConnection {
  query(text: string): Promise<unknown>;
  on(event: "notification", listener: (message: { channel: string; payload?: string }) => void): unknown;
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

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2_000;

/**
 * One watch. Notifications are delivered in commit order, so when the feed's own heartbeat
 * notification comes back, every change committed before it was sent has been delivered: that
 * send time is what {@link PostgresChangeFeed.current} measures from. While the connection is down
 * (or absent) nothing confirms the feed, and the caller falls back to {@link PostgresChangeFeed.sync}.
 */
export class PostgresChangeFeed implements ChangeWatch {
  readonly #options: ChangeFeedOptions;
  readonly #heartbeatChannel: string;
  readonly #heartbeatMs: number;
  #connection: ListenConnection | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reconnectDelay = RECONNECT_MIN_MS;
  /** The newest version delivered or read; `undefined` until the first read. */
  #version: number | undefined;
  /** Monotonic time (ms) up to which every change is known delivered. */
  #confirmedAt = -Infinity;
  #heartbeatSeq = 0;
  readonly #heartbeatsSent = new Map<number, number>();
  /** Whether the listening connection is up and was followed by a catch-up read. */
  #listening = false;
  #closed = false;

  /** @param options - channel, connection and listener */
  constructor(options: ChangeFeedOptions) {
    this.#options = options;
    this.#heartbeatChannel = `${options.channel}_hb_${Math.random().toString(36).slice(2, 10)}`;
    this.#heartbeatMs = options.heartbeatMs ?? 250;
    if (options.connect) void this.#connect();
  }

  /** @inheritdoc */
  current(withinMs: number): boolean {
    return performance.now() - this.#confirmedAt <= withinMs;
  }

  /** @inheritdoc */
  async sync(): Promise<void> {
    const startedAt = performance.now();
    const version = await this.#options.readVersion();
    if (this.#version !== undefined && version > this.#version) this.#deliver("all");
    if (this.#version === undefined || version > this.#version) this.#version = version;
    this.#confirm(startedAt);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#drop(undefined);
  }

  async #connect(): Promise<void> {
    let connection: ListenConnection | undefined;
    try {
      connection = await this.#options.connect!();
      if (this.#closed) return void (await this.#dispose(connection, undefined));
      this.#connection = connection;
      connection.on("notification", (message) => this.#onNotification(message.channel, message.payload ?? ""));
      connection.on("error", (err) => void this.#lost(connection!, err));
      connection.on("end", () => void this.#lost(connection!, undefined));
      await connection.query(`LISTEN ${quote(this.#options.channel)}; LISTEN ${quote(this.#heartbeatChannel)}`);
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

  #onNotification(channel: string, payload: string): void {
    if (channel === this.#heartbeatChannel) {
      const sentAt = this.#heartbeatsSent.get(Number(payload));
      this.#heartbeatsSent.delete(Number(payload));
      if (sentAt !== undefined && this.#listening) this.#confirm(sentAt);
      return;
    }
    if (channel !== this.#options.channel) return;
    const space = payload.indexOf(" ");
    const version = Number(payload.slice(0, space));
    const key = payload.slice(space + 1);
    // A gap in the versions means a notification was missed: re-read everything.
    const missed = this.#version !== undefined && version > this.#version + 1;
    if (this.#version === undefined || version > this.#version) this.#version = version;
    if (missed) this.#deliver("all");
    else if (this.#options.prefixes.some((prefix) => key.startsWith(prefix))) this.#deliver([key]);
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

/** A channel name as an identifier (ours are `[a-z0-9_]`, but quoting costs nothing). */
function quote(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}
