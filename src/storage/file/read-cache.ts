/**
 * Recently read and written record files of one {@link FileStorage} directory, kept in memory so
 * that a request's token read is not a file open, read and close (about 0.45 ms each, twice per
 * credential). Safe because the directory belongs to one process (`storage-directory.ts`): every
 * write to it goes through this process, and each write updates the cache under the key's lock.
 * Only the files of non-packed keys are cached; the record log has its own in-memory index.
 *
 * A read that raced a write must not put back the value the write replaced, so writes are counted:
 * a read fills the cache only if no write (to any non-packed key: tokens, configs, policies,
 * never the lease records) happened since it began.
 *
 * @module
 */

/** Records kept (least recently used dropped first): enough for an engine's tokens and configs. */
export const READ_CACHE_ENTRIES = 4096;
/** A record larger than this is never kept. */
const MAX_CACHED_BYTES = 64 << 10;

/** What a read learnt when it began, to hand back to {@link FileReadCache.fill}. */
export interface ReadTicket {
  readonly key: string;
  readonly writes: number;
}

/** The cache of one directory; its values are copies, and so are the values it returns. */
export class FileReadCache {
  /** Key → bytes, or `null` for a key known to have no record; in least-recently-used order. */
  readonly #entries = new Map<string, Uint8Array | null>();
  /** Writes recorded so far. */
  #writes = 0;

  /** The cached bytes of `key` (a copy), `null` if known missing, `undefined` if not cached. */
  get(key: string): Uint8Array | null | undefined {
    const found = this.#entries.get(key);
    if (found === undefined) return undefined;
    this.#entries.delete(key); // refresh its place in the LRU order
    this.#entries.set(key, found);
    return found === null ? null : found.slice();
  }

  /** Starts a read of `key` from its file. */
  begin(key: string): ReadTicket {
    return { key, writes: this.#writes };
  }

  /** Keeps what a read found (`undefined`: no file), unless a write happened since it began. */
  fill(ticket: ReadTicket, value: Uint8Array | undefined): void {
    if (this.#writes !== ticket.writes) return;
    this.#keep(ticket.key, value);
  }

  /** Records a write of `key` (`undefined`: deleted) that has reached the disk. */
  written(key: string, value: Uint8Array | undefined): void {
    this.#writes++;
    this.#keep(key, value);
  }

  /** Forgets `key` (a write that failed part-way: what is on disk is not known). */
  forget(key: string): void {
    this.#writes++;
    this.#entries.delete(key);
  }

  #keep(key: string, value: Uint8Array | undefined): void {
    this.#entries.delete(key);
    if (value !== undefined && value.byteLength > MAX_CACHED_BYTES) return;
    this.#entries.set(key, value === undefined ? null : value.slice());
    if (this.#entries.size > READ_CACHE_ENTRIES) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
