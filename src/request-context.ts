/**
 * The one object a request carries through the pipeline: filled in step by step, read by audit at
 * its record points.
 *
 * @module
 */
import type { TokenEntry } from "./auth/token/token-entry.js";
import type { MountEntry } from "./mounts/mount-entry.js";
import type { Request } from "./request.js";
import { uuid } from "./util/random.js";

/**
 * What is known about one request as the pipeline serves it. Each step writes the fields it
 * establishes; nothing else writes them. Audit reads the context when it records, so an entry
 * always shows exactly how far the request got (a failure before routing records no mount).
 */
export interface RequestContext {
  /** The request id, shared by both audit entries and the response envelope. */
  readonly id: string;
  /** The request as presented, token included (audit hashes it; it is never logged). */
  readonly presented: Request;
  /**
   * The operation: as presented until validation; for a `Client.write`, `create` or `update` once
   * the pipeline has resolved which.
   */
  operation: string;
  /** The path: as presented until validation, normalized after. */
  path: string;
  /** The data: as presented until validation, then a checked object (never undefined). */
  data: unknown;
  /** The token's entry, once authenticated. */
  token?: TokenEntry;
  /** The mount the request was routed to, once routed. */
  mount?: MountEntry;
}

/** A context for a request that has not been through any step yet. */
export function newRequestContext(request: Request): RequestContext {
  return { id: uuid(), presented: request, operation: String(request.operation), path: String(request.path), data: request.data };
}
