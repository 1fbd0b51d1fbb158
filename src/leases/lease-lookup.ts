/**
 * Vault's lookup view of a lease (`sys/leases/lookup`).
 *
 * @module
 */
import type { LeaseRecord } from "./lease.js";

/**
 * A lease as `sys/leases/lookup` answers it: Vault's fields (`id`, `path` — the request path
 * that issued it, `issue_time`, `expire_time`, `last_renewal` as RFC 3339, `renewable`, `ttl` in
 * seconds, and `revoke_error` when a revocation failed) and vaultlet's `state`,
 * `revoke_attempts` and `last_error` (the same text as `revoke_error`, kept for older callers).
 *
 * @param now - the current time (ms since the epoch), for `ttl`
 */
export function lookupView(lease: LeaseRecord, now: number): Record<string, unknown> {
  return {
    id: lease.id,
    path: `${lease.mountPath}${lease.path}`,
    issue_time: new Date(lease.issueTime).toISOString(),
    expire_time: new Date(lease.expireTime).toISOString(),
    last_renewal: lease.lastRenewalTime === undefined ? null : new Date(lease.lastRenewalTime).toISOString(),
    renewable: lease.renewable,
    ttl: Math.max(0, Math.floor((lease.expireTime - now) / 1000)),
    state: lease.state,
    revoke_attempts: lease.revokeAttempts,
    last_error: lease.lastError ?? null,
    ...(lease.lastError !== undefined && { revoke_error: lease.lastError }),
  };
}
