/**
 * The mount table: which backend serves which path prefix.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { JsonStore } from "../storage/json-store.js";
import type { MountEntry } from "./mount-entry.js";

const STORAGE_KEY = "core/mounts";
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

/** The mount entries, persisted as one record and matched by longest prefix. */
export class MountTable {
  readonly #store: JsonStore;
  #entries = new Map<string, MountEntry>();

  /** @param store - the engine's core storage view */
  constructor(store: JsonStore) {
    this.#store = store;
  }

  /** Loads the persisted user mounts and adds the built-in ones. */
  async load(builtins: MountEntry[]): Promise<void> {
    const saved = (await this.#store.get<MountEntry[]>(STORAGE_KEY)) ?? [];
    this.#entries = new Map([...builtins, ...saved].map((entry) => [entry.path, entry]));
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
      if (existing.startsWith(path) || path.startsWith(existing)) {
        throw new InvalidRequestError(
          `cannot mount at ${JSON.stringify(path)}: path is already in use at ${JSON.stringify(existing)}`,
        );
      }
    }
  }

  /** Adds or replaces an entry and persists the table. */
  async put(entry: MountEntry): Promise<void> {
    const next = new Map(this.#entries).set(entry.path, entry);
    await this.#save(next);
    this.#entries = next;
  }

  /** Removes an entry and persists the table. */
  async remove(path: string): Promise<void> {
    const next = new Map(this.#entries);
    next.delete(path);
    await this.#save(next);
    this.#entries = next;
  }

  async #save(entries: Map<string, MountEntry>): Promise<void> {
    const userMounts = [...entries.values()].filter((entry) => !entry.builtin);
    await this.#store.put(STORAGE_KEY, userMounts);
  }
}
