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
  /** Always null: response wrapping is not implemented. */
  wrap_info: null;
}
