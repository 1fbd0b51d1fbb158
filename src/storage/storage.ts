/**
 * The pluggable persistence interface. Storage is the source of truth for everything the engine
 * knows: mounts, connection configs, roles, tokens, policies and leases.
 *
 * @module
 */

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
  /** Stores `value` at `key`, replacing any previous value. */
  put(key: string, value: Uint8Array): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix` (full keys, not relative), in ascending order. */
  list(prefix: string): Promise<string[]>;
  /** Releases resources (connections, file handles). Optional. */
  close?(): Promise<void>;
}
