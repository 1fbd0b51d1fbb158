/**
 * The mount table: which backend serves which path prefix.
 *
 * @module
 */
import { InvalidRequestError, NotFoundError } from "../errors.js";
import { UNCHANGED, type JsonStore } from "../storage/json-store.js";
import type { MountEntry } from "./mount-entry.js";

/** The record of the whole table as older versions stored it; migrated on open. */
const LEGACY_KEY = "core/mounts";
/** One record per user mount: `core/mounts/<mount path without its trailing slash>`. */
export const MOUNT_RECORD_PREFIX = "core/mounts/";
const RESERVED_PREFIXES = ["sys/", "auth/", "cubbyhole/", "identity/"];
const VALID_MOUNT_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/$/;

/**
 * Normalizes a mount path to Vault's form: no leading slash, exactly one trailing slash.
 *
 * @throws InvalidRequestError for an empty path or characters outside `[A-Za-z0-9_.-/]`
 */
export function normalizeMountPath(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  const normalized = `${trimmed}/`;
  if (!VALID_MOUNT_PATH.test(normalized)) {
    throw new InvalidRequestError(
      `mount path ${JSON.stringify(path)} is invalid: use segments of letters, digits, "_", "." and "-" separated by "/"`,
    );
  }
  return normalized;
}

/**
 * The mount entries: one record per user mount, so that engines sharing a storage enable and
 * disable mounts without overwriting each other; in memory, matched by longest prefix.
 */
export class MountTable {
  readonly #store: JsonStore;
  #builtins: MountEntry[] = [];
  #entries = new Map<string, MountEntry>();

  /** @param store - the engine's core storage view */
  constructor(store: JsonStore) {
    this.#store = store;
  }

  /** Migrates a table stored as one record, then loads the user mounts and adds the built-in ones. */
  async load(builtins: MountEntry[]): Promise<void> {
    this.#builtins = builtins;
    await this.#migrate();
    this.replace(await this.readSaved());
  }

  /** The user mounts as storage holds them now. */
  async readSaved(): Promise<MountEntry[]> {
    const keys = await this.#store.list(MOUNT_RECORD_PREFIX);
    const entries = await this.#store.getMany<MountEntry>(keys);
    return entries.filter((entry): entry is MountEntry => entry !== undefined);
  }

  /**
   * Replaces the user mounts held in memory with `saved` (built-in ones stay; a saved record of a
   * tuned built-in mount gives it its tune settings, nothing else).
   */
  replace(saved: MountEntry[]): void {
    const tuned = (entry: MountEntry) => {
      const stored = saved.find((record) => record.builtin && record.path === entry.path);
      return stored ? { ...entry, config: stored.config } : entry;
    };
    this.#entries = new Map([...this.#builtins.map(tuned), ...saved.filter((entry) => !entry.builtin)].map((entry) => [entry.path, entry]));
  }

  /** Every mount entry. */
  all(): MountEntry[] {
    return [...this.#entries.values()];
  }

  /** The entry mounted exactly at `path` (normalized), or `undefined`. */
  get(path: string): MountEntry | undefined {
    return this.#entries.get(path);
  }

  /** The mount serving `requestPath`: the longest mount path that prefixes it. */
  match(requestPath: string): MountEntry | undefined {
    const withSlash = requestPath.endsWith("/") ? requestPath : `${requestPath}/`;
    let best: MountEntry | undefined;
    for (const entry of this.#entries.values()) {
      if (withSlash.startsWith(entry.path) && (!best || entry.path.length > best.path.length)) best = entry;
    }
    return best;
  }

  /**
   * Checks that a new mount may be added at `path` (normalized).
   *
   * @throws InvalidRequestError when the path is reserved, taken, or nested in or around another mount
   */
  assertAvailable(path: string): void {
    if (RESERVED_PREFIXES.some((reserved) => path.startsWith(reserved))) {
      throw new InvalidRequestError(`cannot mount at ${JSON.stringify(path)}: the path is reserved`);
    }
    for (const existing of this.#entries.keys()) {
      if (existing.startsWith(path) || path.startsWith(existing)) throw inUse(path, existing);
    }
  }

  /**
   * {@link assertAvailable} for a move: the mount being moved (at `except`) does not count.
   *
   * @throws InvalidRequestError when the path is reserved, taken, or nested in or around another mount
   */
  assertAvailableExcept(path: string, except: string): void {
    if (RESERVED_PREFIXES.some((reserved) => path.startsWith(reserved))) {
      throw new InvalidRequestError(`cannot mount at ${JSON.stringify(path)}: the path is reserved`);
    }
    for (const existing of this.#entries.keys()) {
      if (existing !== except && (existing.startsWith(path) || path.startsWith(existing))) throw inUse(path, existing);
    }
  }

  /**
   * Stores a new entry if no engine has stored one at its path (create-if-absent, atomic across
   * engines sharing the storage), then adds it in memory.
   *
   * @throws InvalidRequestError when another engine mounted the path first
   */
  async create(entry: MountEntry): Promise<void> {
    const { next } = await this.#store.update<MountEntry>(recordKey(entry.path), (current) => (current === undefined ? entry : UNCHANGED));
    if (next === UNCHANGED) throw inUse(entry.path, entry.path);
    this.#entries = new Map(this.#entries).set(entry.path, entry);
  }

  /**
   * Changes the stored entry at `path` with `change` (run on the entry as stored, so concurrent
   * tunes of different fields through different engines all land), then in memory.
   *
   * @throws NotFoundError when no mount is stored at `path`
   */
  async tune(path: string, change: (entry: MountEntry) => MountEntry): Promise<MountEntry> {
    const builtin = this.#builtins.find((entry) => entry.path === path);
    if (builtin && !TUNABLE_BUILTINS.includes(path)) throw new InvalidRequestError(`cannot tune the built-in mount ${JSON.stringify(path)}`);
    // A tunable built-in mount has a record only once tuned: the first tune starts from its definition.
    const { next } = await this.#store.update<MountEntry>(recordKey(path), (current) => {
      const base = current ?? builtin;
      return base === undefined ? UNCHANGED : change(base);
    });
    if (next === UNCHANGED || next === undefined) throw new NotFoundError(`no mount at ${JSON.stringify(path)}`);
    this.#entries = new Map(this.#entries).set(path, next);
    return next;
  }

  /**
   * Moves `entry` to the path `to` (`sys/remount`), keeping its UUID, so its storage view
   * (`logical/<uuid>/`) stays where it is: the record at `to` is created (if absent, atomic across
   * engines), then the one at the old path removed. Idempotent: a record at `to` with the same
   * UUID (a move interrupted by a crash) is taken as created.
   *
   * @throws InvalidRequestError when another mount took `to` meanwhile
   */
  async move(entry: MountEntry, to: string): Promise<MountEntry> {
    const moved: MountEntry = { ...entry, path: to };
    let taken: string | undefined;
    await this.#store.update<MountEntry>(recordKey(to), (current) => {
      if (current === undefined) return moved;
      if (current.uuid !== entry.uuid) taken = current.path;
      return UNCHANGED;
    });
    if (taken !== undefined) throw inUse(to, taken);
    await this.remove(entry);
    this.#entries = new Map(this.#entries).set(to, moved);
    return moved;
  }

  /** The entry of the mount with this UUID, wherever it is mounted now. */
  byUuid(uuid: string): MountEntry | undefined {
    for (const entry of this.#entries.values()) if (entry.uuid === uuid) return entry;
    return undefined;
  }

  /** Removes the stored entry (only the mount with this uuid: a remount elsewhere stays), then in memory. */
  async remove(entry: MountEntry): Promise<void> {
    await this.#store.update<MountEntry>(recordKey(entry.path), (current) => (current?.uuid === entry.uuid ? undefined : UNCHANGED));
    const next = new Map(this.#entries);
    if (next.get(entry.path)?.uuid === entry.uuid) next.delete(entry.path);
    this.#entries = next;
  }

  /**
   * Splits a table stored as one record into a record per mount. Idempotent and safe to run from
   * several engines at once: each entry is created only if absent, and the old record is removed last.
   */
  async #migrate(): Promise<void> {
    const legacy = await this.#store.get<MountEntry[]>(LEGACY_KEY);
    if (legacy === undefined) return;
    for (const entry of legacy) {
      if (entry.builtin) continue;
      await this.#store.update<MountEntry>(recordKey(entry.path), (current) => current ?? entry);
    }
    await this.#store.delete(LEGACY_KEY);
  }
}

/** `database/` → `core/mounts/database` (no trailing slash: every storage accepts that key). */
/**
 * Built-in mounts whose tune settings may change: the token mount, whose `max_lease_ttl` caps the
 * TTLs of tokens (as Vault's `sys/auth/token/tune`). `sys/` is not tunable.
 */
const TUNABLE_BUILTINS: readonly string[] = ["auth/token/"];

function recordKey(path: string): string {
  return MOUNT_RECORD_PREFIX + path.slice(0, -1);
}

function inUse(path: string, existing: string): InvalidRequestError {
  return new InvalidRequestError(`cannot mount at ${JSON.stringify(path)}: path is already in use at ${JSON.stringify(existing)}`);
}
