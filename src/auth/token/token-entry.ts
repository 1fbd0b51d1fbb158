/**
 * @module
 */

/** A token as stored: everything about it except the token itself, which is never stored. */
export interface TokenEntry {
  /** HMAC-SHA256 of the token under the engine's token key, hex; the storage key. */
  hash: string;
  /** Public id for managing the token; cannot be turned into the token. */
  accessor: string;
  /** Policies attached to the token (lower-case names). */
  policies: string[];
  /** Free text; sanitized to `[a-z0-9-]`. Feeds generated database usernames. */
  displayName: string;
  /** Creation time, ms since the epoch. */
  creationTime: number;
  /** The TTL granted at creation or last renewal, seconds; 0 = never expires. */
  ttl: number;
  /** Expiry, ms since the epoch; undefined for tokens that never expire. */
  expireTime?: number;
  /** Absolute limit set by `explicit_max_ttl`, ms since the epoch. */
  explicitMaxExpireTime?: number;
  /** Periodic tokens renew to this many seconds each time, without a max. */
  period?: number;
  /** Whether the token may be renewed. */
  renewable: boolean;
  /** Remaining uses; 0 = unlimited. */
  numUses: number;
  /** The parent token's accessor; undefined for orphans. */
  parentAccessor?: string;
  /** Metadata given at creation. */
  meta: Record<string, string>;
  /** The path that created the token, e.g. `"auth/token/create"`. */
  path: string;
  /** The lease that expires the token; undefined for tokens that never expire. */
  leaseId?: string;
  /** The token role it was created against (`auth/token/create/<role>`), if any. */
  role?: string;
  /** When the token was last renewed, ms since the epoch; undefined before its first renewal. */
  lastRenewalTime?: number;
}
