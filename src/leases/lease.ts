/**
 * @module
 */

/**
 * A lease's life: `pending` while its secret is being created (write-ahead), `active` once it
 * exists, `irrevocable` when revocation kept failing (kept, visible, retried rarely).
 */
export type LeaseState = "pending" | "active" | "irrevocable";

/** The durable record of one issued secret. Storage is the source of truth; timers only cache it. */
export interface LeaseRecord {
  /** The lease id: `<mount path><request path>/<random>`, e.g. `"database/creds/readonly/AbC…"`. */
  id: string;
  /** The mount path that issued it, e.g. `"database/"`. */
  mountPath: string;
  /** The mount's UUID at issue time: a lease outlives neither its mount nor a remount. */
  mountUuid: string;
  /** The path that issued it, relative to the mount (e.g. `"creds/readonly"`). */
  path: string;
  /** The current state. */
  state: LeaseState;
  /** Issue time, ms since the epoch. */
  issueTime: number;
  /** Expiry, ms since the epoch. */
  expireTime: number;
  /** Last renewal, ms since the epoch, if renewed. */
  lastRenewalTime?: number;
  /** The TTL granted at issue (s): the default increment of a renewal without one. */
  ttl: number;
  /** The effective maximum TTL (s) from issue time: renewals never pass `issueTime + maxTtl`. */
  maxTtl: number;
  /** Whether the lease may be renewed. */
  renewable: boolean;
  /** The accessor of the token that created the secret. */
  tokenAccessor: string;
  /**
   * The role the secret was issued for (a database role), as the backend declared it in
   * `SecretSpec.role`; absent for secrets without one (tokens). Guardrails and metrics count by
   * it. Records written before this field existed get it from `internal.role` when read
   * (lease-store.ts).
   */
  role?: string;
  /** Backend data needed to renew or revoke (e.g. username); private to the backend, never the secret itself. */
  internal: Record<string, unknown>;
  /** Failed revocation attempts so far. */
  revokeAttempts: number;
  /** The last revocation error (sanitized), if any. */
  lastError?: string;
  /**
   * Set on a `pending` lease when its token was revoked while the secret was being created: the
   * lease never becomes active, and its issuer (or the pending rollback) revokes the secret.
   */
  cancelled?: boolean;
  /** The `max_leases` slot records this lease holds (see `leases/lease-slots.ts`), freed when it goes. */
  quotas?: string[];
}

/** The part of a lease id after its mount and path: the random suffix. */
export function leaseIdFor(mountPath: string, path: string, suffix: string): string {
  return `${mountPath}${path}/${suffix}`;
}
