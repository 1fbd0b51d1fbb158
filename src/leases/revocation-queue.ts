/**
 * @module
 */

/**
 * Runs asynchronous jobs with bounded concurrency, fairly across groups. Revocations go through it
 * so that a burst of expiring leases never opens more than `concurrency` database operations at
 * once, and so that one mount with 100,000 expired leases cannot starve another mount's handful:
 * free slots go round-robin to the groups (mounts) that have jobs waiting.
 */
export class BoundedQueue {
  readonly #concurrency: number;
  #running = 0;
  #depth = 0;
  /** Waiting jobs by group; a `Map` keeps the groups' round-robin order. */
  #waiting = new Map<string, Array<() => void>>();

  /** @param concurrency - jobs that may run at once (at least 1) */
  constructor(concurrency: number) {
    this.#concurrency = Math.max(1, Math.floor(concurrency));
  }

  /** Jobs waiting for a slot. */
  get depth(): number {
    return this.#depth;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running;
  }

  /** Runs `job` when a slot is free (taking turns with other groups) and resolves with its result. */
  async run<T>(job: () => Promise<T>, group = ""): Promise<T> {
    if (this.#running >= this.#concurrency) await this.#wait(group);
    else this.#running++;
    try {
      return await job();
    } finally {
      this.#release();
    }
  }

  #wait(group: string): Promise<void> {
    return new Promise<void>((resolve) => {
      let queue = this.#waiting.get(group);
      if (!queue) this.#waiting.set(group, (queue = []));
      queue.push(resolve);
      this.#depth++;
    });
  }

  /** Hands the freed slot to the next group in turn (the slot stays taken), or frees it. */
  #release(): void {
    const next = this.#waiting.entries().next();
    if (next.done) {
      this.#running--;
      return;
    }
    const [group, queue] = next.value;
    const resolve = queue.shift()!;
    this.#waiting.delete(group);
    if (queue.length > 0) this.#waiting.set(group, queue); // to the back of the round
    this.#depth--;
    resolve();
  }
}
