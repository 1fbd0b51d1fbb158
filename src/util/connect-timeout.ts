/**
 * A bound on every attempt to open a PostgreSQL connection. Without one, a server that accepts
 * the TCP connection and never answers (a wedged proxy, a stopped process, a firewall dropping
 * packets) keeps the attempt, and whatever waits on it, pending forever: `pg` has no default.
 *
 * `pg` also ignores libpq's `connect_timeout` in a connection string (only its native driver reads
 * it), so the engine reads it itself ({@link connectTimeoutMs}) and hands the result to each client.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";

/** How long one connection attempt may take when nothing says otherwise: 10 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The largest `connect_timeout` taken, in seconds (libpq's unit): 5 minutes. */
export const MAX_CONNECT_TIMEOUT_SECONDS = 300;

/** The largest delay `setTimeout` keeps (a larger one fires at once). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * libpq's `connect_timeout` (whole seconds) in milliseconds; {@link DEFAULT_CONNECT_TIMEOUT_MS}
 * when absent. libpq's `0` ("wait forever") is refused: every attempt has a bound.
 *
 * @param field - where it was written, for the error (`connection_url`, `connectionString`)
 * @throws InvalidRequestError naming `connect_timeout` (never its value) unless an integer from 1 to {@link MAX_CONNECT_TIMEOUT_SECONDS}
 */
export function connectTimeoutMs(seconds: string | null | undefined, field: string): number {
  if (seconds === null || seconds === undefined) return DEFAULT_CONNECT_TIMEOUT_MS;
  return integerParameter(field, "connect_timeout", seconds, 1, MAX_CONNECT_TIMEOUT_SECONDS, " (seconds; 0, libpq's wait-forever, is refused)") * 1000;
}

/**
 * A connection parameter read as an integer within `[min, max]`.
 *
 * @param unit - appended to the error (e.g. `" (seconds)"`)
 * @throws InvalidRequestError naming `field` and `key` and the range, never the text: a malformed
 *   string can put part of a password where a value was expected
 */
export function integerParameter(field: string, key: string, text: string, min: number, max: number, unit = ""): number {
  const value = /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(value >= min && value <= max)) throw new InvalidRequestError(`${field}: ${key} must be an integer from ${min} to ${max}${unit}`);
  return value;
}

/** A `pg.Client`-like class: constructed with a client config. */
type ClientClass = new (config?: never) => object;

/**
 * `Client` whose every connection attempt times out after `ms` (its own `connectionTimeoutMillis`),
 * for a pool's `Client` option. The pool's `connectionTimeoutMillis` means something else too (how
 * long a checkout waits for a free connection); this bounds the attempt and leaves that wait as it is.
 */
export function withConnectTimeout<C extends ClientClass>(Client: C, ms: number): C {
  const Base = Client as unknown as new (config: Record<string, unknown> | undefined) => object;
  return class TimedClient extends Base {
    constructor(config?: Record<string, unknown>) {
      // Copied with its descriptors: pg-pool hands over its options with `password` non-enumerable
      // (kept out of logs), which a spread would drop.
      const timed = Object.defineProperties({}, Object.getOwnPropertyDescriptors(config ?? {})) as Record<string, unknown>;
      Object.defineProperty(timed, "connectionTimeoutMillis", { value: ms, enumerable: true, configurable: true, writable: true });
      super(timed);
    }
  } as unknown as C;
}
