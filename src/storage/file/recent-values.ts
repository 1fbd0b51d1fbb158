/**
 * @module
 */

/** Entries kept: a few hundred credentials in flight, each with its lease record and index entry. */
const MAX_ENTRIES = 1024;
/** Larger values are not kept: records are about a kilobyte, and the cache must stay small. */
const MAX_VALUE_BYTES = 16 << 10;

/**
 * The values a {@link RecordLog} appended lately, by key, so that reading one back (a
 * compare-and-swap's read of the record it is about to replace, as every credential's activation
 * does) costs no read from the file. Exact, not a guess: the log is the only writer of its file
 * (one process holds the directory), it updates this together with its index, and a write it does
 * not keep here (a bulk import, a value too large) removes the key. Oldest entries go first.
 */
export class RecentValues {
  readonly #values = new Map<string, Uint8Array>();

  /** The value last written for `key`, if kept: a copy, which the caller owns. */
  get(key: string): Uint8Array | undefined {
    return this.#values.get(key)?.slice();
  }

  /** Keeps `value` (copied) as the latest of `key`, or forgets the key when it is too large. */
  remember(key: string, value: Uint8Array): void {
    this.#values.delete(key); // to the back: newest last
    if (value.byteLength > MAX_VALUE_BYTES) return;
    this.#values.set(key, value.slice());
    if (this.#values.size > MAX_ENTRIES) this.#values.delete(this.#values.keys().next().value!);
  }

  /** Forgets `key` (deleted, or written without keeping its value). */
  forget(key: string): void {
    this.#values.delete(key);
  }
}
