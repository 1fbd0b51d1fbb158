/**
 * The audit entry: one JSON object per request and one per response, in Vault's audit shape.
 * Every string in `data` and every token or accessor is already HMAC'd when an entry is built.
 *
 * @module
 */
import type { WrapInfo } from "../request.js";

/** The `auth` block of an entry: who made the request (never the token itself). */
export interface AuditAuth {
  /** `hmac-sha256:<hex>` of the client token. */
  client_token?: string;
  /** `hmac-sha256:<hex>` of the token's accessor (or the accessor itself with `hmac_accessor: false`). */
  accessor?: string;
  display_name?: string;
  policies?: string[];
  token_policies?: string[];
  metadata?: Record<string, string> | null;
  entity_id?: string;
  token_type?: string;
}

/** The `request` block of an entry. */
export interface AuditRequest {
  /** The request id; the response envelope's `request_id` is the same. */
  id: string;
  operation: string;
  /** The mount's type (`"database"`, `"system"`, `"token"`), once routed. */
  mount_type?: string;
  mount_accessor?: string;
  /** `hmac-sha256:<hex>` of the client token presented. */
  client_token?: string;
  client_token_accessor?: string;
  namespace: { id: "root" };
  path: string;
  /** The request data with every string HMAC'd; `null` when empty. */
  data: Record<string, unknown> | null;
  /** Always `null`: the engine has no network address; an HTTP wrapper knows it. */
  remote_address: null;
}

/** The `response` block of a response entry. */
export interface AuditResponse {
  mount_type?: string;
  mount_accessor?: string;
  /** The response data with every string HMAC'd. */
  data?: Record<string, unknown> | null;
  /** The lease that carries `data` (lease ids are not secret). */
  secret?: { lease_id: string };
  /** The token created by the request, HMAC'd. */
  auth?: AuditAuth;
  warnings?: string[] | null;
  /**
   * Set when the response was wrapped: the wrapping token HMAC'd always, its accessor and the
   * wrapped token's accessor HMAC'd as the device hashes accessors. The wrapped response itself
   * is never in the entry (its `data` is `null`); the unwrap request's entry holds it, HMAC'd.
   */
  wrap_info?: WrapInfo;
}

/**
 * One audit record.
 *
 * @example
 * ```json
 * {"type":"response","time":"2026-01-01T00:00:00.000Z",
 *  "auth":{"client_token":"hmac-sha256:9f…","accessor":"hmac-sha256:1c…","display_name":"token","policies":["apps","default"],…},
 *  "request":{"id":"…","operation":"read","mount_type":"database","path":"database/creds/readonly","data":null,…},
 *  "response":{"data":{"username":"hmac-sha256:…","password":"hmac-sha256:…"},"secret":{"lease_id":"database/creds/readonly/…"}}}
 * ```
 */
export interface AuditEntry {
  type: "request" | "response";
  /** ISO 8601 time from the engine's clock. */
  time: string;
  auth: AuditAuth;
  request: AuditRequest;
  /** Present on response entries of requests that succeeded. */
  response?: AuditResponse;
  /** The error message when the request failed (messages never hold secrets). */
  error?: string;
}
