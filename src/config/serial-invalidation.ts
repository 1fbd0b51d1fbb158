/**
 * One configuration cache's invalidations, run one at a time.
 *
 * @module
 */
import type { ConfigCache } from "./config-sync.js";

/** An invalidation waiting for the one in flight, and the promise its waiters hold. */
interface Next {
  keys: Set<string> | "all";
  settled: Promise<void>;
  settle: () => void;
}

/**
 * Runs a cache's invalidations one at a time: those that arrive while a reload is in flight are
 * merged into the single one that follows it. However many arrive, at most two are open (the one
 * in flight and the next), so a stream of change notifications is never a queue of reloads, and a
 * request waiting for what was open when it came waits for at most two of them.
 */
export class SerialInvalidation {
  /** The cache invalidated. */
  readonly cache: ConfigCache;
  readonly #onFailure: () => void;
  #running: Promise<void> | undefined;
  #next: Next | undefined;

  /**
   * @param cache - the cache whose `invalidate` this runs
   * @param onFailure - told when a reload fails (the caller then re-reads everything)
   */
  constructor(cache: ConfigCache, onFailure: () => void) {
    this.cache = cache;
    this.#onFailure = onFailure;
  }

  /** Invalidates `keys` (or everything): at once, or after the reload in flight, merged with the others. */
  invalidate(keys: readonly string[] | "all"): void {
    if (!this.#running) return void this.#run(keys);
    if (!this.#next) {
      let settle!: () => void;
      const settled = new Promise<void>((resolve) => (settle = resolve));
      this.#next = { keys: new Set(), settled, settle };
    }
    const next = this.#next;
    if (keys === "all" || next.keys === "all") next.keys = "all";
    else for (const key of keys) next.keys.add(key);
  }

  /** What must settle for every invalidation asked so far to be done (never rejects; empty when none is open). */
  open(): Promise<void>[] {
    const open: Promise<void>[] = [];
    if (this.#running) open.push(this.#running);
    if (this.#next) open.push(this.#next.settled);
    return open;
  }

  /** Starts one invalidation; resolves when it has settled (the next, if any, has then started). */
  #run(keys: readonly string[] | "all"): Promise<void> {
    let reload: void | Promise<void>;
    try {
      reload = this.cache.invalidate(keys);
    } catch {
      this.#onFailure();
      return Promise.resolve();
    }
    if (!reload) return Promise.resolve();
    const running: Promise<void> = reload.then(
      () => undefined,
      () => this.#onFailure(),
    ).then(() => {
      if (this.#running === running) this.#running = undefined;
      this.#startNext();
    });
    this.#running = running;
    return running;
  }

  #startNext(): void {
    const next = this.#next;
    if (!next) return;
    this.#next = undefined;
    void this.#run(next.keys === "all" ? "all" : [...next.keys]).then(next.settle);
  }
}
