/**
 * The request and response shapes of the engine. They follow Vault's HTTP API (paths, snake_case
 * payloads, the response envelope), so Vault's documentation maps one-to-one onto vaultlet and a
 * wrapper can serve them to real Vault clients.
 *
 * @module
 */

/** The operations a request can perform, as in Vault's logical requests. */
export type Operation = "read" | "create" | "update" | "delete" | "list" | "patch";

/** Every {@link Operation}, for validation. */
export const OPERATIONS: readonly Operation[] = ["read", "create", "update", "delete", "list", "patch"];

/** A request payload: Vault's JSON body, snake_case keys. */
export type RequestData = Record<string, unknown>;

/** A request to the engine, one level below `Client`. */
export interface Request {
  /** The client token; omitted only by the engine's own internal calls. */
  token?: string;
  /** What to do. A client's `write` becomes `create` or `update` (see `Client.write`). */
  operation: Operation;
  /** The path, e.g. `"database/creds/readonly"`; leading and trailing `/` are ignored. */
  path: string;
  /** The payload of a create/update/patch, or parameters of a read/list/delete. */
  data?: RequestData;
  /**
   * Response wrapping (Vault's `X-Vault-Wrap-TTL`): when set, the response is kept behind a new
   * single-use wrapping token valid this long (`"5m"`, or seconds), and what comes back is only
   * {@link Response.wrap_info}. Unset or 0: no wrapping.
   */
  wrapTtl?: string | number;
}

/** Per-request options of `Client` calls and `Engine.write`. */
export interface RequestOptions {
  /** Wraps the response behind a single-use token valid this long (see {@link Request.wrapTtl}). */
  wrapTtl?: string | number;
}

/**
 * The `wrap_info` of a wrapped response, as Vault's HTTP API returns it.
 *
 * @example
 * ```ts
 * { token: "vls.…", accessor: "…", ttl: 300, creation_time: "2026-01-01T00:00:00.000Z",
 *   creation_path: "database/creds/readonly" }
 * ```
 */
export interface WrapInfo {
  /** The wrapping token: single use, valid for `ttl` seconds; it unwraps the response once. */
  token: string;
  /** The wrapping token's accessor. */
  accessor: string;
  /** Seconds the wrapping token is valid from `creation_time`. */
  ttl: number;
  /** When the response was wrapped (RFC 3339). */
  creation_time: string;
  /** The path of the request whose response is wrapped. */
  creation_path: string;
  /** The accessor of the token the wrapped response created (a wrapped `auth/token/create`). */
  wrapped_accessor?: string;
}

/** The `auth` block of a response that created a token (e.g. `auth/token/create`). */
export interface AuthBlock {
  /** The new token. Shown once; vaultlet stores only a keyed hash of it. */
  client_token: string;
  /** The token's accessor: an id for managing the token that cannot be turned into the token. */
  accessor: string;
  /** All policies of the token (token policies plus identity policies; here the same). */
  policies: string[];
  /** The policies attached to the token itself. */
  token_policies: string[];
  /** Metadata given at creation, or null. */
  metadata: Record<string, string> | null;
  /** Seconds until the token expires; 0 for tokens that never expire (root). */
  lease_duration: number;
  /** Whether the token can be renewed. */
  renewable: boolean;
  /** Always `""`: vaultlet has no identity store. */
  entity_id: string;
  /** `"service"`: vaultlet issues service tokens. */
  token_type: "service";
  /** Whether the token has no parent. */
  orphan: boolean;
  /** The uses the token has left; 0 = unlimited. */
  num_uses: number;
}

/**
 * The response envelope, as Vault's HTTP API returns it.
 *
 * @example
 * ```ts
 * { request_id: "…", lease_id: "database/creds/readonly/AbC…", lease_duration: 3600, renewable: true,
 *   data: { username: "v-token-readonly-…", password: "A1a-…" }, warnings: null, auth: null, wrap_info: null }
 * ```
 */
export interface Response<Data = Record<string, unknown>> {
  /** A fresh UUID per request. */
  request_id: string;
  /** The lease of the secret in `data`, or `""` when the response carries no secret. */
  lease_id: string;
  /** Seconds until the lease expires; 0 without a lease. */
  lease_duration: number;
  /** Whether the lease can be renewed. */
  renewable: boolean;
  /** The response data, or null. */
  data: Data | null;
  /** Human-readable warnings (e.g. a TTL that was capped), or null. */
  warnings: string[] | null;
  /** Set when the request created a token. */
  auth: AuthBlock | null;
  /** Set when the response was wrapped (the request had a wrap TTL): then `data`, `auth` and the lease are empty. */
  wrap_info: WrapInfo | null;
}
