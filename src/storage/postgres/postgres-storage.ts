/**
 * @module
 */
import { createHash } from "node:crypto";
import { InvalidRequestError, StorageError, VaultletError } from "../../errors.js";
import type { BatchWrite, ChangeListener, ChangeWatch, ClaimRequest, ExposureListener, PutOptions, Storage } from "../storage.js";
import type { ProtectedRecords } from "../../util/protected-records.js";
import type { QueryablePool } from "../../util/postgres-pool.js";
import { lazyPgPool, loadPg, type LazyPgPool } from "../../util/load-pg.js";
import { MAX_TIMER_MS, connectTimeoutMs } from "../../util/connect-timeout.js";
import { isSocketPathForm, parsePgUrl } from "../../util/pg-url.js";
import { escapeIdentifier, escapeLiteral } from "../../util/sql-quote.js";
import { Coalescer } from "../../util/coalescer.js";
import { PostgresChangeFeed, type ListenConnection } from "./postgres-change-feed.js";
import {
  DEFAULT_SCHEMA,
  createSchemaStatements,
  qualifiedName,
  refuseExposed,
  refuseLegacyTable,
  type StorageLocation,
} from "./storage-location.js";
import { DEFAULT_EXPOSURE_CHECK_INTERVAL_MS, checkReach, exposedError, type ReachReport } from "./storage-reach.js";
import { MAX_TIMER_DELAY_MS } from "../../util/clock.js";

export type { QueryablePool } from "../../util/postgres-pool.js";

/** The slice of `pg.Pool` that {@link PostgresStorage} uses: pass the host's own pool. */
export interface PostgresStoragePool extends QueryablePool {
  /**
   * Optional: a dedicated connection for the change feed's `LISTEN` (a `pg.Pool` has it). The
   * storage holds one such connection per watch for as long as it runs. Without it, the feed
   * cannot listen and engines fall back to reading the version record once per second of use.
   * Its notifications must carry the sender's `processId` (a `pg` client's do): only the
   * connection's own heartbeats confirm the feed.
   */
  connect?(): Promise<ListenConnection>;
}

/** Options of {@link PostgresStorage}: a `connectionString` or the host's `pool`, and a table. */
export type PostgresStorageOptions = (
  | {
      /** A PostgreSQL URL; the storage opens (and closes) its own pool. */
      connectionString: string;
      /** Connections of the storage's own pool (default 4). */
      maxConnections?: number;
      /**
       * Whether the storage's own pool sends its statements as named prepared statements, which
       * PostgreSQL parses and plans once per connection (default `true`; a storage round trip
       * takes about 40 % less). Set `false` when a pooler between the engine and PostgreSQL
       * cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
       */
      preparedStatements?: boolean;
      /**
       * How long one attempt to open a connection may take, in milliseconds (default: the
       * connection string's `connect_timeout`, libpq's seconds, else 10 s). A server that
       * accepts and never answers then fails the operation with a `StorageError` instead of
       * holding it, and the engine's requests behind it, forever. A checkout waiting for a free
       * connection of the pool is not bounded by it.
       */
      connectionTimeoutMillis?: number;
      pool?: undefined;
    }
  | {
      /** The host's pool; the storage never ends it. Its queries are sent unnamed, as the host's pool takes them. */
      pool: PostgresStoragePool;
      connectionString?: undefined;
      preparedStatements?: undefined;
      connectionTimeoutMillis?: undefined;
    }
) & {
  /** The table that holds the records, created if missing (default `vaultlet_storage`). */
  table?: string;
  /**
   * The schema of both tables (default `vaultlet`), created if missing with no privilege for
   * `PUBLIC`. The storage refuses to open (`StorageExposedError`) when `PUBLIC` may use the schema
   * or read or write a table, so `public` itself is refused on a stock server.
   */
  schema?: string;
  /**
   * Login roles that may reach the records besides the storage's own user, the tables' and the
   * schema's owners and superusers — a backup role that is a member of `pg_read_all_data`, say.
   * Any other login role that reaches them (a grant on a table, membership in the owner or in
   * `pg_read_all_data`, `pg_write_all_data`, a superuser role or a server-file role) makes the
   * storage refuse to be used (`StorageExposedError`), at open and at every periodic check.
   */
  trustedRoles?: readonly string[];
  /**
   * How often (ms of real time) the storage checks again who reaches its records, besides at
   * open (default 60 000). A check that finds a login role reaching them tells the engine (the
   * `storage.exposed` event, an error logged) and makes the storage refuse every use until the
   * access is revoked. `0` turns the periodic check off (the check at open stays).
   */
  exposureCheckIntervalMs?: number;
};

/**
 * Runs of each kind of coalesced statement in flight at once (see `PostgresStorage`'s coalescers).
 * One: whatever arrives while a run is under way goes in the next, so at sixteen credentials in
 * flight the engine sends fewer statements. Measured against two, three pairs of
 * `bench/creds.ts --storage postgres` runs back to back: issue c16 0.85–0.92 instead of 0.80–0.84,
 * revoke c16 1.03–1.11 instead of 0.89–1.00, the engine's CPU per credential 14 % lower; the
 * revocation storm unchanged (55.9 s and p99 2.1× idle, against 55.4 s and 2.0×). Every statement
 * is a single autocommit one, so a run waits only on other short statements.
 */
const COALESCED_RUNS = 1;

/** A `compareAndSwapIfPresent` of one value for another, guarded by keys that must exist. */
interface GuardedSwap {
  key: string;
  expected: Uint8Array;
  next: Uint8Array;
  /** The keys that must exist, without repeats. */
  present: string[];
  options: PutOptions | undefined;
}

/** U+10FFFF sorts after every other character, so `[prefix, prefix + MAX_CHAR)` covers the prefix. */
const MAX_CHAR = "\u{10FFFF}";

/**
 * Storage in one table of the host's PostgreSQL database: the source of truth that several engine
 * processes can share.
 *
 * Rows are `(key, value, due_at, claim_owner, claim_until)`. Keys use the `"C"` collation so listing
 * is a range scan in byte order. `due_at` (indexed) lets {@link PostgresStorage.claimDue} find due
 * leases with `FOR UPDATE SKIP LOCKED`, so that of several engines on one database exactly one
 * revokes each expired lease, and a claim that runs out (its process died) is taken over.
 *
 * The tables live in a schema of their own (default `vaultlet`) that `PUBLIC` cannot use, so the
 * roles the engine issues (granted `SELECT ON ALL TABLES IN SCHEMA public`, say) cannot read the
 * root passwords stored there; the first use refuses, with a `StorageExposedError`, a schema
 * or table that `PUBLIC` may reach, or a login role that reaches the records through a grant or
 * a granted role (`pg_read_all_data`, the owner, a superuser role; see `storage-reach.ts`), and
 * so does every use after a periodic check found one ({@link PostgresStorageOptions}'s
 * `trustedRoles`, `exposureCheckIntervalMs`). {@link PostgresStorage.recordsLocation} tells the
 * engine which roles hold the records, so that it issues no credential that is one's member.
 *
 * @example
 * ```ts
 * const storage = new PostgresStorage({ pool: hostPool, table: "vaultlet_storage" });
 * const engine = await Engine.open({ storage, encryptionKey }); // a 32-byte key the host keeps outside storage
 * ```
 */
export class PostgresStorage implements Storage {
  readonly #pool: PostgresStoragePool;
  readonly #ownPool: LazyPgPool | undefined;
  readonly #table: string;
  readonly #location: StorageLocation;
  /** The one-row table that counts announced writes (see {@link PostgresStorage.watch}). */
  readonly #versionTable: string;
  /** The `NOTIFY` channel of this table's announced writes. */
  readonly #channel: string;
  readonly #connectionString: string | undefined;
  /** How long one attempt to open a connection of its own may take (unused with a host's pool). */
  readonly #connectTimeoutMs: number = 0;
  /** Prefixes of every live watch: writes under them are announced. */
  readonly #watched = new Map<ChangeWatch, readonly string[]>();
  #ready: Promise<void> | undefined;
  #closed = false;
  readonly #trustedRoles: readonly string[];
  readonly #checkIntervalMs: number;
  /** The last check of who reaches the records (see `storage-reach.ts`). */
  #reach: ReachReport | undefined;
  readonly #exposureListeners = new Set<ExposureListener>();
  #checkTimer: NodeJS.Timeout | undefined;
  /**
   * Concurrent reads, batches and activations, each combined into one statement per run (see
   * `coalescer.ts`): at sixteen credentials in flight, a handful of statements instead of
   * forty-eight. A lone request runs at once, as before.
   */
  readonly #reads = new Coalescer<string, Uint8Array | undefined>((keys) => this.#readRun(keys), { maxInFlight: COALESCED_RUNS });
  readonly #batches = new Coalescer<readonly BatchWrite[], void>((batches) => this.#batchRun(batches), {
    maxInFlight: COALESCED_RUNS,
    keysOf: (writes) => writes.map(({ key }) => key),
  });
  readonly #swaps = new Coalescer<GuardedSwap, boolean>((swaps) => this.#swapRun(swaps), { maxInFlight: COALESCED_RUNS, keysOf: ({ key }) => [key] });

  /** @param options - where the table lives */
  constructor(options: PostgresStorageOptions) {
    if (options?.pool) {
      for (const option of ["preparedStatements", "connectionTimeoutMillis"]) {
        if ((options as Record<string, unknown>)[option] !== undefined) {
          throw new InvalidRequestError(`${option} applies to the storage's own pool ({ connectionString }); a host's pool is used as it is`);
        }
      }
      this.#pool = options.pool;
    } else if (typeof options?.connectionString === "string" && options.connectionString.length > 0) {
      // Built (and `pg` loaded) on the first query; an idle connection the server drops is
      // swallowed there, and the next query reconnects.
      this.#connectTimeoutMs = storageConnectTimeout(options.connectionString, options.connectionTimeoutMillis);
      this.#ownPool = lazyPgPool(
        { connectionString: options.connectionString, max: options.maxConnections ?? 4 },
        { preparedStatements: options.preparedStatements ?? true, connectTimeoutMs: this.#connectTimeoutMs },
      );
      this.#pool = this.#ownPool;
      this.#connectionString = options.connectionString;
    } else {
      throw new InvalidRequestError("PostgresStorage needs { connectionString } or { pool }");
    }
    const table = options.table ?? "vaultlet_storage";
    const schema = options.schema ?? DEFAULT_SCHEMA;
    checkName(table);
    checkName(schema);
    this.#location = { schema, table, versionTable: versionTableName(table), explicitSchema: options.schema !== undefined };
    this.#table = qualifiedName(schema, table);
    this.#versionTable = qualifiedName(schema, this.#location.versionTable);
    this.#channel = `vaultlet_${createHash("sha256").update(this.#table).digest("hex").slice(0, 24)}`;
    this.#trustedRoles = trustedRolesOf(options.trustedRoles);
    this.#checkIntervalMs = checkIntervalOf(options.exposureCheckIntervalMs);
  }

  /** @inheritdoc */
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#reads.submit(key);
  }

  /** One run of concurrent reads: the single-key statement alone, else one `getMany`. */
  async #readRun(keys: string[]): Promise<Array<Uint8Array | undefined>> {
    if (keys.length > 1) return this.getMany(keys);
    const { rows } = await this.#query(`SELECT value FROM ${this.#table} WHERE key = $1`, [keys[0]], "reading a record");
    return [rows.length === 0 ? undefined : new Uint8Array(rows[0].value as Buffer)];
  }

  /** @inheritdoc */
  async getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    if (keys.length === 0) return [];
    const { rows } = await this.#query(`SELECT key, value FROM ${this.#table} WHERE key = ANY($1::text[])`, [keys], "reading records");
    const found = new Map(rows.map((row) => [row.key as string, row.value as Buffer]));
    return keys.map((key) => {
      const value = found.get(key);
      return value === undefined ? undefined : new Uint8Array(value);
    });
  }

  /** @inheritdoc */
  async put(key: string, value: Uint8Array, options?: PutOptions): Promise<void> {
    const bytes = toBuffer(value);
    if (this.#announces(key)) {
      const upsert = options
        ? `INSERT INTO ${this.#table} (key, value, due_at, claim_owner, claim_until) VALUES ($1, $2, $3, NULL, NULL)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, due_at = EXCLUDED.due_at, claim_owner = NULL, claim_until = NULL RETURNING 1`
        : `INSERT INTO ${this.#table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value RETURNING 1`;
      await this.#announced(upsert, options ? [key, bytes, options.dueAt ?? null] : [key, bytes], "writing a record");
      return;
    }
    if (!options) {
      // No options: a plain write (or a re-encryption) keeps the record's due time and claim.
      await this.#query(
        `INSERT INTO ${this.#table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [key, bytes],
        "writing a record",
      );
      return;
    }
    await this.#query(
      `INSERT INTO ${this.#table} (key, value, due_at, claim_owner, claim_until) VALUES ($1, $2, $3, NULL, NULL)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, due_at = EXCLUDED.due_at, claim_owner = NULL, claim_until = NULL`,
      [key, bytes, options.dueAt ?? null],
      "writing a record",
    );
  }

  /**
   * One statement each way, so the row lock decides between concurrent swaps: a second swap waits
   * for the first, then re-reads the row and finds its expected value gone.
   *
   * The contract is {@link Storage.compareAndSwap}.
   */
  async compareAndSwap(key: string, expected: Uint8Array | undefined, next: Uint8Array | undefined, options?: PutOptions): Promise<boolean> {
    const what = "swapping a record";
    if (expected === undefined && next === undefined) return (await this.get(key)) === undefined;
    const dueAt = options?.dueAt ?? null;
    const [text, values]: [string, unknown[]] =
      expected === undefined
        ? [`INSERT INTO ${this.#table} (key, value, due_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`, [key, toBuffer(next!), dueAt]]
        : next === undefined
          ? [`DELETE FROM ${this.#table} WHERE key = $1 AND value = $2`, [key, toBuffer(expected)]]
          : options
            ? [
                `UPDATE ${this.#table} SET value = $3, due_at = $4, claim_owner = NULL, claim_until = NULL WHERE key = $1 AND value = $2`,
                [key, toBuffer(expected), toBuffer(next), dueAt],
              ]
            : [`UPDATE ${this.#table} SET value = $3 WHERE key = $1 AND value = $2`, [key, toBuffer(expected), toBuffer(next)]];
    if (this.#announces(key)) return (await this.#announced(`${text} RETURNING 1`, values, what)) === 1;
    const { rowCount } = await this.#query(text, values, what);
    return rowCount === 1;
  }

  /**
   * One statement, so all or none: the puts with options (due time set, claim ended), the puts
   * without (due time and claim kept) and the deletions, each a data-modifying part of one query.
   * A batch that touches a watched prefix is written one by one instead (each announced; config
   * writes are not the hot path).
   *
   * The contract is {@link Storage.batch}.
   */
  async batch(writes: readonly BatchWrite[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.some(({ key }) => this.#announces(key))) {
      for (const { key, value, options } of writes) await (value === undefined ? this.delete(key) : this.put(key, value, options));
      return;
    }
    await this.#batches.submit(writes);
  }

  /**
   * One run of concurrent batches (no two share a key) as one statement: all of them or none,
   * which keeps each batch's own all-or-nothing.
   */
  async #batchRun(batches: ReadonlyArray<readonly BatchWrite[]>): Promise<void[]> {
    const writes = batches.flat();
    const timed = writes.filter((write) => write.value !== undefined && write.options);
    const plain = writes.filter((write) => write.value !== undefined && !write.options);
    const deleted = writes.filter((write) => write.value === undefined).map(({ key }) => key);
    await this.#query(
      `WITH timed AS (
         INSERT INTO ${this.#table} (key, value, due_at, claim_owner, claim_until)
         SELECT k, v, d, NULL, NULL FROM unnest($1::text[], $2::bytea[], $3::bigint[]) AS w(k, v, d)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, due_at = EXCLUDED.due_at, claim_owner = NULL, claim_until = NULL),
       plain AS (
         INSERT INTO ${this.#table} (key, value) SELECT k, v FROM unnest($4::text[], $5::bytea[]) AS w(k, v)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value),
       deleted AS (DELETE FROM ${this.#table} WHERE key = ANY($6::text[]))
       SELECT 1`,
      [
        timed.map(({ key }) => key),
        timed.map(({ value }) => toBuffer(value!)),
        timed.map(({ options }) => options!.dueAt ?? null),
        plain.map(({ key }) => key),
        plain.map(({ value }) => toBuffer(value!)),
        deleted,
      ],
      "writing records",
    );
    return batches.map(() => undefined);
  }

  /**
   * One statement: the swap's `UPDATE` (or `INSERT`, `DELETE`) runs only if every key in
   * `present` exists in the statement's snapshot, which is taken before the swap takes its row
   * lock — a read of each, then the swap. A watched key is swapped with the checks made first.
   *
   * The contract is {@link Storage.compareAndSwapIfPresent}.
   */
  async compareAndSwapIfPresent(
    key: string,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
    present: readonly string[],
    options?: PutOptions,
  ): Promise<boolean> {
    if (present.length === 0) return this.compareAndSwap(key, expected, next, options);
    if (expected === undefined || next === undefined || this.#announces(key)) {
      const found = await this.getMany(present);
      if (found.some((value) => value === undefined)) return false;
      return this.compareAndSwap(key, expected, next, options);
    }
    return this.#swaps.submit({ key, expected, next, present: [...new Set(present)], options });
  }

  /** One run of concurrent guarded swaps (no two of one key): the single statement alone, else one for all. */
  async #swapRun(swaps: GuardedSwap[]): Promise<boolean[]> {
    if (swaps.length === 1) return [await this.#swapOne(swaps[0]!)];
    const { rows } = await this.#query(
      `UPDATE ${this.#table} AS t
          SET value = w.next,
              due_at = CASE WHEN w.timed THEN w.due ELSE t.due_at END,
              claim_owner = CASE WHEN w.timed THEN NULL ELSE t.claim_owner END,
              claim_until = CASE WHEN w.timed THEN NULL ELSE t.claim_until END
         FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::bigint[], $5::boolean[], $6::text[], $7::int[])
              AS w(key, expected, next, due, timed, present, wanted)
        WHERE t.key = w.key AND t.value = w.expected
          AND (SELECT count(*) FROM ${this.#table} p WHERE p.key = ANY(ARRAY(SELECT jsonb_array_elements_text(w.present::jsonb)))) = w.wanted
      RETURNING t.key`,
      [
        swaps.map(({ key }) => key),
        swaps.map(({ expected }) => toBuffer(expected)),
        swaps.map(({ next }) => toBuffer(next)),
        swaps.map(({ options }) => options?.dueAt ?? null),
        swaps.map(({ options }) => options !== undefined),
        swaps.map(({ present }) => JSON.stringify(present)),
        swaps.map(({ present }) => present.length),
      ],
      "swapping records",
    );
    const swapped = new Set(rows.map((row) => row.key as string));
    return swaps.map(({ key }) => swapped.has(key));
  }

  async #swapOne({ key, expected, next, present, options }: GuardedSwap): Promise<boolean> {
    const required = `(SELECT count(*) FROM ${this.#table} WHERE key = ANY($5::text[])) = $6`;
    const [text, values]: [string, unknown[]] = options
      ? [
          `UPDATE ${this.#table} SET value = $3, due_at = $4, claim_owner = NULL, claim_until = NULL WHERE key = $1 AND value = $2 AND ${required}`,
          [key, toBuffer(expected), toBuffer(next), options.dueAt ?? null, present, present.length],
        ]
      : [
          `UPDATE ${this.#table} SET value = $3 WHERE key = $1 AND value = $2 AND $4::bigint IS NULL AND ${required}`,
          [key, toBuffer(expected), toBuffer(next), null, present, present.length],
        ];
    const { rowCount } = await this.#query(text, values, "swapping a record");
    return rowCount === 1;
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    if (this.#announces(key)) {
      await this.#announced(`DELETE FROM ${this.#table} WHERE key = $1 RETURNING 1`, [key], "deleting a record");
      return;
    }
    await this.#query(`DELETE FROM ${this.#table} WHERE key = $1`, [key], "deleting a record");
  }

  /**
   * One statement for keys outside the watched prefixes (lease records and their index: the
   * revocation storm's deletes); a key under a watched prefix is deleted on its own, announced.
   *
   * The contract is {@link Storage.deleteMany}.
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    const quiet = keys.filter((key) => !this.#announces(key));
    for (const key of keys) if (this.#announces(key)) await this.delete(key);
    if (quiet.length === 0) return;
    await this.#query(`DELETE FROM ${this.#table} WHERE key = ANY($1::text[])`, [quiet], "deleting records");
  }

  /** @inheritdoc */
  async list(prefix: string): Promise<string[]> {
    const { rows } =
      prefix === ""
        ? await this.#query(`SELECT key FROM ${this.#table} ORDER BY key`, [], "listing records")
        : await this.#query(
            `SELECT key FROM ${this.#table} WHERE key >= $1 AND key < $2 ORDER BY key`,
            [prefix, prefix + MAX_CHAR],
            "listing records",
          );
    return rows.map((row) => row.key as string);
  }

  /** @inheritdoc */
  async claimDue(request: ClaimRequest): Promise<string[]> {
    const { rows } = await this.#query(
      `UPDATE ${this.#table} SET claim_owner = $4, claim_until = $2::bigint + $5::bigint
       WHERE key IN (
         SELECT key FROM ${this.#table}
         WHERE due_at <= $2 AND key >= $1 AND key < $6 AND (claim_until IS NULL OR claim_until <= $2)
         ORDER BY due_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING key`,
      [request.prefix, request.now, request.limit, request.owner, request.claimMs, request.prefix + MAX_CHAR],
      "claiming due records",
    );
    return rows.map((row) => row.key as string);
  }

  /**
   * A write under a watched prefix runs as one statement that also increments the version record
   * and sends `NOTIFY` with the new version and the key: the write, the count and the notification
   * commit together or not at all. Other writes are unchanged (no trigger, no extra round trip).
   * The feed listens on a dedicated connection (its own client with `connectionString`, one taken
   * from the host's pool with `connect()` otherwise) and confirms itself with a heartbeat every
   * 250 ms; it reconnects by itself after the connection is lost. Every process must watch the
   * same prefixes for its writes to be announced (engines do).
   *
   * Any role that can connect may send or read notifications on the channel, so they carry no
   * value (a version and a key name) and decide nothing: a notified key is re-read from storage,
   * the notified version is ignored (catch-up compares versions it read itself), only the
   * connection's own heartbeats count, and keys are passed on at most once per
   * `HINT_INTERVAL_MS` (250 ms; see `postgres-change-feed.ts`).
   *
   * The contract is {@link Storage.watch}.
   */
  watch(prefixes: readonly string[], listener: ChangeListener): ChangeWatch {
    const connect = this.#listenConnector();
    const feed = new PostgresChangeFeed({
      channel: this.#channel,
      prefixes,
      listener,
      readVersion: () => this.#readVersion(),
      connect: connect && (async () => {
        await this.#prepare();
        return connect();
      }),
    });
    this.#watched.set(feed, [...prefixes]);
    return {
      current: (withinMs) => feed.current(withinMs),
      sync: () => feed.sync(),
      close: async () => {
        this.#watched.delete(feed);
        await feed.close();
      },
    };
  }

  /**
   * Where the records are and which roles hold them, as of the last check (the one at open, or a
   * periodic one); with `refresh`, a new check first, which reports login roles it finds reaching
   * the records as a periodic one does. The contract is {@link Storage.recordsLocation}.
   */
  async recordsLocation(options: { refresh?: boolean } = {}): Promise<ProtectedRecords> {
    await this.#prepare();
    if (options.refresh || !this.#reach) this.#accept(await this.#checkReach());
    return this.#reach!.records;
  }

  /** The contract is {@link Storage.watchExposure}. */
  watchExposure(listener: ExposureListener): () => void {
    this.#exposureListeners.add(listener);
    return () => void this.#exposureListeners.delete(listener);
  }

  /** Ends the storage's own pool; a host's pool is left open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#checkTimer);
    await Promise.allSettled([...this.#watched.keys()].map((watch) => watch.close()));
    this.#watched.clear();
    await this.#ownPool?.end();
  }

  #announces(key: string): boolean {
    for (const prefixes of this.#watched.values()) if (prefixes.some((prefix) => key.startsWith(prefix))) return true;
    return false;
  }

  /**
   * Runs `write` (a statement with `RETURNING 1`, the key as `$1`) together with the version
   * increment and the notification, in one statement. Resolves to how many rows `write` changed.
   */
  async #announced(write: string, values: unknown[], what: string): Promise<number> {
    const channel = values.length + 1;
    const { rows } = await this.#query(
      `WITH written AS (${write}),
         bumped AS (UPDATE ${this.#versionTable} SET version = version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM written) RETURNING version)
       SELECT (SELECT count(*) FROM written)::int AS written,
              (SELECT pg_notify($${channel}, bumped.version::text || ' ' || $1) FROM bumped) AS notified`,
      [...values, this.#channel],
      what,
    );
    return rows[0].written as number;
  }

  async #readVersion(): Promise<number> {
    const { rows } = await this.#query(`SELECT version FROM ${this.#versionTable} WHERE id = 1`, [], "reading the change version");
    return rows.length === 0 ? 0 : Number(rows[0].version);
  }

  /** How the feed gets its listening connection, if it can. */
  #listenConnector(): (() => Promise<ListenConnection>) | undefined {
    const connectionString = this.#connectionString;
    if (connectionString !== undefined) {
      return async () => {
        const { Client } = await loadPg();
        const client = new Client({ connectionString, connectionTimeoutMillis: this.#connectTimeoutMs });
        client.on("error", () => undefined); // reported through the feed's own handler too
        await client.connect();
        return client as unknown as ListenConnection;
      };
    }
    const pool = this.#pool;
    return pool.connect ? () => pool.connect!() : undefined;
  }

  async #query(text: string, values: unknown[], what: string) {
    if (this.#closed) throw new StorageError(`${what} failed: the storage is closed`);
    await this.#prepare();
    try {
      return await this.#pool.query(text, values);
    } catch (err) {
      throw new StorageError(`${what} failed: ${reasonOf(err)}`, { cause: err });
    }
  }

  /**
   * Creates the schema, the table and its index once (concurrent creators, other processes, are
   * tolerated), then checks that `PUBLIC` reaches none of them. A refusal is not remembered: the
   * next use checks again, so a host can fix the grants without a restart.
   */
  #prepare(): Promise<void> {
    this.#ready ??= this.#open().catch((err: unknown) => {
      this.#ready = undefined;
      if (err instanceof VaultletError) throw err;
      throw new StorageError(`creating the storage table failed: ${reasonOf(err)}`, { cause: err });
    });
    return this.#ready;
  }

  async #open(): Promise<void> {
    await refuseLegacyTable(this.#pool, this.#location);
    await this.#createTable();
    await refuseExposed(this.#pool, this.#location);
    const reach = await this.#checkReach();
    if (reach.exposed.length > 0) throw exposedError(this.#location, reach.exposed);
    this.#reach = reach;
    this.#scheduleCheck();
  }

  async #checkReach(): Promise<ReachReport> {
    try {
      return await checkReach(this.#pool, this.#location, this.#trustedRoles, Date.now());
    } catch (err) {
      throw new StorageError(`checking who can reach the storage failed: ${reasonOf(err)}`, { cause: err });
    }
  }

  /** Arms the next periodic check (once: a re-run of `#open` after a refusal keeps the one armed). */
  #scheduleCheck(): void {
    if (this.#checkIntervalMs === 0 || this.#checkTimer !== undefined || this.#closed) return;
    this.#checkTimer = setTimeout(() => void this.#periodicCheck(), this.#checkIntervalMs);
    this.#checkTimer.unref(); // never keeps the host process alive
  }

  /**
   * Keeps a check's answer. A role found reaching the records makes every later use run the
   * whole opening check again (which refuses until the access is revoked), and the watchers are told.
   */
  #accept(reach: ReachReport): void {
    this.#reach = reach;
    if (reach.exposed.length === 0 || this.#closed) return;
    this.#ready = undefined;
    const exposure = { roles: reach.exposed.map(({ name }) => name), message: exposedError(this.#location, reach.exposed).message };
    for (const listener of this.#exposureListeners) {
      try {
        listener(exposure);
      } catch {
        // A watcher's failure is its own; the refusal above stands either way.
      }
    }
  }

  /** A periodic check. One that cannot reach the database changes nothing: the next use or check tries again. */
  async #periodicCheck(): Promise<void> {
    try {
      this.#accept(await this.#checkReach());
    } catch {
      // Unreachable now: every use checks the database anyway, and so does the next round.
    } finally {
      this.#checkTimer = undefined;
      this.#scheduleCheck();
    }
  }

  /**
   * One simple-protocol query, so one transaction: the advisory locks make processes that start
   * together create the schema and the table one after the other instead of colliding in the
   * catalog (the schema's lock first, always, so two storages never wait on each other).
   */
  async #createTable(): Promise<void> {
    const schemaLock = escapeLiteral(`vaultlet-storage-schema:${this.#location.schema}`);
    const lockKey = escapeLiteral(`vaultlet-storage:${this.#table}`);
    const createSchema = await createSchemaStatements(this.#pool, this.#location.schema);
    await this.#pool.query(
      `SELECT pg_advisory_xact_lock(hashtext(${schemaLock}));
       ${createSchema}
       SELECT pg_advisory_xact_lock(hashtext(${lockKey}));
       CREATE TABLE IF NOT EXISTS ${this.#table} (
         key text COLLATE "C" PRIMARY KEY,
         value bytea NOT NULL,
         due_at bigint,
         claim_owner text,
         claim_until bigint);
       CREATE INDEX IF NOT EXISTS ${escapeIdentifier(`${indexBase(this.#table)}_due_at`)} ON ${this.#table} (due_at) WHERE due_at IS NOT NULL;
       CREATE TABLE IF NOT EXISTS ${this.#versionTable} (id int PRIMARY KEY, version bigint NOT NULL);
       INSERT INTO ${this.#versionTable} (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;`,
    );
  }
}

/** The `trustedRoles` option, checked: role names (1 to 63 characters). */
function trustedRolesOf(roles: unknown): readonly string[] {
  if (roles === undefined) return [];
  if (!Array.isArray(roles) || roles.some((role) => typeof role !== "string" || role.length === 0 || role.length > 63)) {
    throw new InvalidRequestError("PostgresStorage: trustedRoles must be a list of role names of 1 to 63 characters");
  }
  return Object.freeze([...roles]);
}

/** The `exposureCheckIntervalMs` option, checked: 0 (off) or a timer's delay. */
function checkIntervalOf(value: unknown): number {
  if (value === undefined) return DEFAULT_EXPOSURE_CHECK_INTERVAL_MS;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_DELAY_MS) {
    throw new InvalidRequestError(`PostgresStorage: exposureCheckIntervalMs must be a whole number of ms from 0 (off) to ${MAX_TIMER_DELAY_MS}`);
  }
  return value;
}

/** `<table>_version`, shortened with a hash of the full name when that would pass 63 characters. */
function versionTableName(table: string): string {
  if (table.length <= 55) return `${table}_version`;
  return `${table.slice(0, 38)}_${createHash("sha256").update(table).digest("hex").slice(0, 8)}_version`;
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function checkName(name: unknown): void {
  if (typeof name !== "string" || name.length === 0 || name.length > 63) {
    throw new InvalidRequestError("PostgresStorage: table and schema must be names of 1 to 63 characters");
  }
}

function indexBase(qualified: string): string {
  const table = qualified.slice(qualified.lastIndexOf('"', qualified.length - 2) + 1, -1).replace(/""/g, '"');
  return table.slice(0, 50);
}

/** A driver error reduced to its SQLSTATE or system code: driver messages may quote values. */
function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return `code ${code}`;
  return err instanceof StorageError ? err.message : "database error";
}

/**
 * How long one attempt to open a connection of the storage's own may take: `connectionTimeoutMillis`,
 * else the connection string's `connect_timeout` (which `pg` itself ignores), else 10 s.
 *
 * @throws InvalidRequestError for a bound that is not a positive integer a timer can keep, or a bad `connect_timeout`
 */
function storageConnectTimeout(connectionString: string, connectionTimeoutMillis: number | undefined): number {
  if (connectionTimeoutMillis !== undefined) {
    if (!Number.isInteger(connectionTimeoutMillis) || connectionTimeoutMillis < 1 || connectionTimeoutMillis > MAX_TIMER_MS) {
      throw new InvalidRequestError(`connectionTimeoutMillis must be an integer from 1 to ${MAX_TIMER_MS}`);
    }
    return connectionTimeoutMillis;
  }
  const url = isSocketPathForm(connectionString) ? undefined : parsePgUrl(connectionString);
  return connectTimeoutMs(url?.searchParams.getAll("connect_timeout").at(-1), "connectionString");
}
