/**
 * @module
 */
import type { RequestPressure } from "../util/request-pressure.js";

/**
 * Admits batches of background revocation (leases that fell due, in a storm) so that they give way
 * to requests: while the engine serves requests, at most `underLoad` batches run at once; when it
 * is quiet, as many as the revocation queue allows. Each batch holds a database transaction and a
 * storage connection, and on a small machine the database's CPU as well: five of them at once
 * left a creds request waiting behind them (p99 3.6× idle in `bench/revocation-storm.ts`), one at
 * a time keeps it near idle while the storm still advances.
 */
export class BackgroundLane {
  readonly #pressure: RequestPressure | undefined;
  readonly #underLoad: number;
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  /**
   * @param pressure - the engine's requests in flight (none given: the lane never limits)
   * @param underLoad - batches that may run at once while requests are served (at least 1)
   */
  constructor(pressure: RequestPressure | undefined, underLoad: number) {
    this.#pressure = pressure;
    this.#underLoad = Math.max(1, Math.floor(underLoad));
    pressure?.onQuiet(() => this.#admit());
  }

  /** Batches waiting to be admitted. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `batch` once the lane admits it, and resolves with its result. */
  async run<T>(batch: () => Promise<T>): Promise<T> {
    if (this.#hasRoom()) this.#running++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve)); // counted when admitted
    try {
      return await batch();
    } finally {
      this.#running--;
      this.#admit();
    }
  }

  #hasRoom(): boolean {
    return !this.#pressure?.busy || this.#running < this.#underLoad;
  }

  /** Lets waiting batches in while there is room, counting each as running at once. */
  #admit(): void {
    while (this.#waiting.length > 0 && this.#hasRoom()) {
      this.#running++;
      this.#waiting.shift()!();
    }
  }
}
