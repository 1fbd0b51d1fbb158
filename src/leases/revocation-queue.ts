/**
 * @module
 */

/**
 * Runs asynchronous jobs with bounded concurrency. Revocations go through it so that a burst of
 * expiring leases never opens more than `concurrency` database operations at once.
 */
export class BoundedQueue {
  readonly #concurrency: number;
  #running = 0;
  #waiting: Array<() => void> = [];

  /** @param concurrency - jobs that may run at once (at least 1) */
  constructor(concurrency: number) {
    this.#concurrency = Math.max(1, Math.floor(concurrency));
  }

  /** Jobs waiting for a slot. */
  get depth(): number {
    return this.#waiting.length;
  }

  /** Runs `job` when a slot is free and resolves with its result. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await job();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
