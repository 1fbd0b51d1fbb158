/**
 * The pluggable persistence interface. Storage is the source of truth for everything the engine
 * knows: mounts, connection configs, roles, tokens, policies and leases.
 *
 * @module
 */
import type { ProtectedRecords } from "../util/protected-records.js";

/**
 * A key–value store with ordered prefix listing.
 *
 * Keys are `/`-separated strings such as `"sys/expire/id/database/creds/readonly/AbC"`. Values are
 * opaque bytes. Implementations must make each `put` atomic: a reader sees the old value or the new
 * one, never a torn mix.
 *
 * @example
 * ```ts
 * const engine = await Engine.open({ storage: new MemoryStorage() });
 * ```
 */
export interface Storage {
  /** The value at `key`, or `undefined`. */
  get(key: string): Promise<Uint8Array | undefined>;
  /**
   * Stores `value` at `key`, replacing any previous value. `options` matter only to storages that
   * implement {@link Storage.claimDue} (others ignore them): with `options` the record's due time
   * is set to `options.dueAt` and any claim on it ends; without, both are kept as they were.
   */
  put(key: string, value: Uint8Array, options?: PutOptions): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix` (full keys, not relative), in ascending order. */
  list(prefix: string): Promise<string[]>;
  /** Releases resources (connections, file handles). Optional. */
  close?(): Promise<void>;
  /**
   * Optional capability: atomically claims keys whose `dueAt` (see {@link PutOptions}) has passed,
   * so that several engine processes sharing this storage never work on the same key at once.
   *
   * Returns up to `limit` keys under `prefix` with `dueAt <= now` that no one holds a live claim
   * on, and claims them for `claimMs` (until `now + claimMs`). A claim ends when the key is written
   * again (`put`) or deleted, or when it runs out, so the work of a process that died is picked up
   * by another once its claim expires. Storages that are only ever used by one process need not
   * implement it: the engine then schedules from memory alone.
   */
  claimDue?(request: ClaimRequest): Promise<string[]>;
  /**
   * Optional capability: the values of many keys in one round trip, in the order asked
   * (`undefined` for a missing key). Restoring a million leases reads them through it in large
   * batches when the storage has it, one `get` each otherwise.
   */
  getMany?(keys: readonly string[]): Promise<Array<Uint8Array | undefined>>;
  /**
   * Optional capability: removes many keys in one round trip (missing keys are not an error), as
   * one `delete` each would. A revocation storm removes the records of a whole batch of revoked
   * leases through it when the storage has it, one `delete` each otherwise.
   */
  deleteMany?(keys: readonly string[]): Promise<void>;
  /**
   * Optional capability: replaces the value at `key` with `next` only if the current value is
   * byte for byte `expected` (`undefined` on either side meaning "absent": create-if-absent and
   * delete-if-unchanged), atomically with respect to every writer of this storage, other
   * processes included. Resolves to whether it did.
   *
   * The engine's read-modify-write records (token use counts, mount entries, counters) go through
   * it, so that engines sharing one storage never lose each other's updates. A storage without it
   * is treated as single-process: the engine then serializes those updates in memory
   * (see `atomicUpdate` in `storage/atomic-update.ts`). Like {@link Storage.put}, a swap without
   * `options` keeps a record's due time and claim (see {@link PutOptions}) as they were; with
   * `options` (only meaningful to storages with {@link Storage.claimDue}) a swap that stores a
   * value sets its due time to `options.dueAt` and ends any claim, in the same atomic step — a
   * lease turning from pending to active moves its due time from the rollback to its expiry so.
   */
  compareAndSwap?(key: string, expected: Uint8Array | undefined, next: Uint8Array | undefined, options?: PutOptions): Promise<boolean>;
  /**
   * Optional capability: several writes (`value` stored, or the key deleted when `value` is
   * `undefined`; `options` as in {@link Storage.put}) in one step, in one round trip where the
   * storage can. The effect is that of writing them one after another in the order given: a
   * reader or a crash may at most see a prefix of them, never a later write without an earlier
   * one (`PostgresStorage` and `MemoryStorage` apply all or none). Keys are distinct. The engine
   * batches what it would otherwise write in that order anyway (a lease's token-index entry, then
   * its write-ahead record), so the order it relies on is kept either way.
   */
  batch?(writes: readonly BatchWrite[]): Promise<void>;
  /**
   * Optional capability: {@link Storage.compareAndSwap} that first checks that every key in
   * `present` exists — as a read of each followed by the swap, in one round trip where the
   * storage can. Resolves to `false`, writing nothing, when one is missing or the value is not
   * `expected`. The engine activates a pending lease with it, checking that the requesting token
   * still exists in the same step (see `leases/pending-lease.ts`).
   */
  compareAndSwapIfPresent?(
    key: string,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
    present: readonly string[],
    options?: PutOptions,
  ): Promise<boolean>;
  /**
   * Optional capability: a change feed. Once a process watches `prefixes`, every write of this
   * storage object under them (`put`, `delete`, a successful `compareAndSwap`) is announced
   * atomically with the write itself, and `listener` is told of every such change made by any
   * process that watches the same prefixes, this one included, in commit order. Writes outside the
   * prefixes (leases, tokens: the hot path) pay nothing.
   *
   * The engine watches its configuration (mounts, policies, password policies, audit devices) and
   * keeps it as a cache that the feed invalidates (see `docs/storage.md`: the propagation bound).
   * A storage without a feed is treated as single-process: the engine's own writes invalidate its
   * own caches and nothing else can change them.
   *
   * `listener` receives the full keys that changed, or `"all"` when the feed may have missed
   * changes (after a reconnection, say): then everything watched must be re-read. A feed others
   * can write to (PostgreSQL's) may also name keys that did not change, and may pass several keys
   * on together: the listener treats each as a reason to re-read, never as a value. It must not
   * throw and must return quickly.
   */
  watch?(prefixes: readonly string[], listener: ChangeListener): ChangeWatch;
  /**
   * What this storage guarantees about its records at rest; `Engine.open` reads it to decide
   * whether the storage may hold secrets as they are (see {@link AtRest}). Absent means durable
   * and in clear (`FileStorage`, `PostgresStorage`, a host's own storage): the engine then needs
   * an encryption key or the explicit opt-out `allowUnencryptedStorage`. A wrapper must only
   * declare what it guarantees itself.
   */
  readonly atRest?: AtRest;
  /**
   * Optional capability: where this storage keeps its records on a database server, and which
   * roles there reach them ({@link ProtectedRecords}); `PostgresStorage` has it. The engine hands it
   * to the database backend, which keeps the credentials it issues on that server from reaching
   * the records (role writes that grant such a role are refused, a creation that made one rolls
   * back). The answer of the storage's last check, or of a new one when `refresh` is set or none
   * was made yet. A wrapper passes it through.
   */
  recordsLocation?(options?: { refresh?: boolean }): Promise<ProtectedRecords>;
  /**
   * Optional capability: `listener` is told of every check after open (periodic, or asked for
   * with `recordsLocation({ refresh: true })`) that finds login roles, other than the expected
   * ones, reaching the records (the storage then refuses every use until they no longer do). Returns the function that stops telling it. A wrapper passes it through.
   */
  watchExposure?(listener: ExposureListener): () => void;
}

/** Told by {@link Storage.watchExposure} of a check that found the records within reach of other roles. */
export type ExposureListener = (exposure: StorageExposure) => void;

/** What a storage's check found: the roles, and a secret-free account of how and what to do. */
export interface StorageExposure {
  /** The login roles that reach the records. */
  readonly roles: readonly string[];
  /** What the storage's refusal (`StorageExposedError`) says: each role, how it reaches them, the fix. */
  readonly message: string;
}

/**
 * What a storage guarantees about records at rest: `"volatile"` — nothing outlives the process
 * (`MemoryStorage`); `"encrypted"` — every value is encrypted with a host key before it reaches
 * anything durable (`EncryptedStorage`).
 */
export type AtRest = "volatile" | "encrypted";

/**
 * Told of changes by {@link Storage.watch}: the full keys written or deleted, or `"all"` when any
 * watched record may have changed.
 */
export type ChangeListener = (keys: readonly string[] | "all") => void;

/** A subscription made by {@link Storage.watch}: its health, a way to catch up, and its end. */
export interface ChangeWatch {
  /**
   * Whether this watch can confirm that every change committed more than `withinMs` ago (by
   * anyone) has been delivered to its listener. False while the feed is down or has been silent
   * too long: the caller must then {@link ChangeWatch.sync} before trusting its caches.
   */
  current(withinMs: number): boolean;
  /**
   * Asks the storage directly whether anything watched changed since this watch last asked (never
   * trusting a number someone notified), calls the listener with `"all"` if so, and counts as a
   * confirmation for {@link ChangeWatch.current} from the moment it started. Rejects (with a `StorageError`) when the storage cannot be reached.
   */
  sync(): Promise<void>;
  /** Stops the feed (closing its connection, if it has one). */
  close(): Promise<void>;
}

/** One write of a {@link Storage.batch}. */
export interface BatchWrite {
  key: string;
  /** The value to store; `undefined` deletes the key. */
  value: Uint8Array | undefined;
  /** As for {@link Storage.put} (ignored for a deletion). */
  options?: PutOptions;
}

/** Options of {@link Storage.put}. */
export interface PutOptions {
  /**
   * When the record falls due (ms since the epoch), for {@link Storage.claimDue}; `undefined`
   * means never. Lease records carry their expiry (or next retry) here.
   */
  dueAt?: number;
}

/** A request to {@link Storage.claimDue}. */
export interface ClaimRequest {
  /** Only keys starting with this prefix. */
  prefix: string;
  /** The claimer's current time (ms since the epoch): its injected clock, not the storage's. */
  now: number;
  /** At most this many keys. */
  limit: number;
  /** How long the claim holds (ms) before another claimer may take the key over. */
  claimMs: number;
  /** Who claims (diagnostics only; one id per engine process). */
  owner: string;
}
