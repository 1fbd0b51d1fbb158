/**
 * A small typed event emitter whose listeners can never break the engine.
 *
 * @module
 */
import { describeError, type Logger } from "./logger.js";

type AnyListener = (payload: never) => void | Promise<void>;

/**
 * Typed `on`/`off`/`emit`. Listeners run synchronously, in the order they were added; a listener
 * that throws (or returns a rejected promise) is reported to the logger and the others still run.
 */
export class EventHub<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<AnyListener>>();
  readonly #logger: Logger;

  /** @param logger - where listener failures are reported */
  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Adds a listener. */
  on<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void | Promise<void>): void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as AnyListener);
  }

  /** Removes a listener added with {@link EventHub.on}. */
  off<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void | Promise<void>): void {
    this.#listeners.get(name)?.delete(listener as AnyListener);
  }

  /** Whether anyone listens to `name` (lets callers skip building a payload). */
  has(name: keyof Events): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  /** Calls every listener of `name` with a frozen `payload`. Never throws. */
  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const listeners = this.#listeners.get(name);
    if (!listeners || listeners.size === 0) return;
    const frozen = Object.freeze(payload) as Events[K];
    for (const listener of [...listeners]) {
      try {
        const result = (listener as (payload: Events[K]) => unknown)(frozen);
        if (result instanceof Promise) result.catch((error: unknown) => this.#reportFailure(name, error));
      } catch (error) {
        this.#reportFailure(name, error);
      }
    }
  }

  #reportFailure(name: keyof Events, error: unknown): void {
    this.#logger.warn({ event: String(name), error: describeError(error) }, "event listener threw; the engine carries on");
  }
}
