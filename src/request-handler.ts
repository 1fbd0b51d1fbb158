/**
 * @module
 */
import type { Request, RequestData, RequestOptions, Response } from "./request.js";
import type { Clock } from "./util/clock.js";

/**
 * What a {@link Client} needs of the engine: serve a request, and serve a write whose operation
 * (`create` or `update`) the engine resolves. `Engine` implements it.
 */
export interface RequestHandler {
  /** Serves one request (see `Engine.request`). */
  request(request: Request): Promise<Response>;
  /** Serves a write: `create` when nothing exists at the path, else `update` (see `Engine.write`). */
  write(token: string, path: string, data: RequestData, options?: RequestOptions): Promise<Response>;
  /**
   * The engine's clock, for what runs beside the engine on its time (the credential pool's
   * renewals). Optional: a handler without one leaves its clients on the system clock.
   */
  readonly clock?: Clock;
}
