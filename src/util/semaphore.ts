/**
 * @module
 */

/**
 * At most `permits` holders at once; the rest wait in arrival order. The PostgreSQL plugin runs
 * its batched revocations through one so that a revocation storm keeps to its share of the
 * connection pool and requests for new credentials still find connections free.
 */
export class Semaphore {
  readonly #permits: number;
  #held = 0;
  readonly #waiting: Array<() => void> = [];

  /** @param permits - holders at once (at least 1) */
  constructor(permits: number) {
    this.#permits = Math.max(1, Math.floor(permits));
  }

  /** Runs `work` once a permit is free, and frees it when `work` settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#held >= this.#permits) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#held++;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // the permit passes on, still held
      else this.#held--;
    }
  }
}
