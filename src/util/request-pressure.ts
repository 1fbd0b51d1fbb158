/**
 * Whether the engine is serving requests right now, for background work that should give way to
 * them (a revocation storm). A sequence of requests one after another counts as one busy spell:
 * the engine stays busy for a short linger after the last request ends, or the gap between two
 * requests would let the background take every connection and core back each time.
 *
 * Real time, not the engine's clock: this is about sharing CPU and connections now, and a
 * `ManualClock` that never advances must not keep the background waiting.
 *
 * @module
 */

/** How long the engine counts as busy after its last request ended, in ms. */
export const REQUEST_LINGER_MS = 50;

/** Counts the requests in flight and says when the last busy spell ended. */
export class RequestPressure {
  readonly #lingerMs: number;
  readonly #now: () => number;
  readonly #quiet = new Set<() => void>();
  #inFlight = 0;
  #lastEnd = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param lingerMs - how long the engine stays busy after its last request
   * @param now - the time in ms (tests pass their own)
   */
  constructor(lingerMs = REQUEST_LINGER_MS, now: () => number = () => performance.now()) {
    this.#lingerMs = lingerMs;
    this.#now = now;
  }

  /** Whether a request is in flight or ended within the linger. */
  get busy(): boolean {
    return this.#inFlight > 0 || this.#now() - this.#lastEnd < this.#lingerMs;
  }

  /** A request starts; call the returned function (once) when it ends. */
  enter(): () => void {
    this.#inFlight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#inFlight--;
      this.#lastEnd = this.#now();
      if (this.#inFlight === 0) this.#armQuietTimer();
    };
  }

  /** Calls `listener` each time a busy spell ends; returns a function that stops it. */
  onQuiet(listener: () => void): () => void {
    this.#quiet.add(listener);
    return () => this.#quiet.delete(listener);
  }

  /** Tells the listeners once the linger passed with no new request (unref'd: never keeps the host alive). */
  #armQuietTimer(): void {
    if (this.#timer !== undefined || this.#quiet.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#inFlight > 0) return; // the request in flight re-arms it when it ends
      if (this.busy) return this.#armQuietTimer();
      for (const listener of this.#quiet) listener();
    }, this.#lingerMs);
    this.#timer.unref();
  }
}
