/**
 * @module
 */
import type { RequestData, RequestOptions, Response } from "./request.js";
import type { RequestHandler } from "./request-handler.js";
import { SystemClock, type Clock } from "./util/clock.js";

/** The data of a list response. */
export type ListData = {
  /** The keys under the listed path; sub-folders end in `/`. */
  keys: string[];
};

/**
 * A handle for making requests with one token. Get one from `engine.client(token)`.
 *
 * @example
 * ```ts
 * const app = engine.client(appToken);
 * const { lease_id, data } = await app.read("database/creds/readonly");
 * // Response wrapping: only a single-use token comes back; whoever holds it unwraps the creds once.
 * const { wrap_info } = await app.read("database/creds/readonly", undefined, { wrapTtl: "5m" });
 * ```
 */
export class Client {
  readonly #engine: RequestHandler;
  readonly #token: string;

  /** @internal use `engine.client(token)` */
  constructor(engine: RequestHandler, token: string) {
    this.#engine = engine;
    this.#token = token;
  }

  /**
   * The clock of the engine this client talks to (the system clock when its handler has none).
   * What times itself against the engine's leases — `openCredentialLease`, `openCredentialPool` —
   * reads it here, so a `ManualClock` given to `Engine.open` drives them too.
   */
  get clock(): Clock {
    return this.#engine.clock ?? (this.#fallbackClock ??= new SystemClock());
  }

  #fallbackClock: Clock | undefined;

  /**
   * Reads a path. Rejects with `NotFoundError` when nothing is there. Every method takes
   * {@link RequestOptions} last: `{ wrapTtl: "5m" }` wraps the response (see `docs/response-wrapping.md`).
   */
  read<Data = Record<string, unknown>>(path: string, data?: RequestData, options?: RequestOptions): Promise<Response<Data>> {
    return this.#engine.request({ token: this.#token, operation: "read", path, data, ...options }) as Promise<Response<Data>>;
  }

  /** Writes a path: a `create` when nothing exists there yet, else an `update` (as in Vault). */
  write<Data = Record<string, unknown>>(path: string, data: RequestData = {}, options?: RequestOptions): Promise<Response<Data>> {
    return (options ? this.#engine.write(this.#token, path, data, options) : this.#engine.write(this.#token, path, data)) as Promise<Response<Data>>;
  }

  /** Lists keys under a path: `data.keys`. Rejects with `NotFoundError` when there are none. */
  list(path: string, options?: RequestOptions): Promise<Response<ListData>> {
    return this.#engine.request({ token: this.#token, operation: "list", path, ...options }) as Promise<Response<ListData>>;
  }

  /** Deletes a path. */
  delete(path: string, data?: RequestData, options?: RequestOptions): Promise<Response> {
    return this.#engine.request({ token: this.#token, operation: "delete", path, data, ...options });
  }

  /** Patches a path (partial update). */
  patch(path: string, data: RequestData, options?: RequestOptions): Promise<Response> {
    return this.#engine.request({ token: this.#token, operation: "patch", path, data, ...options });
  }
}
