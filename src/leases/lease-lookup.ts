/**
 * Vault's lookup view of a lease (`sys/leases/lookup`).
 *
 * @module
 */
import type { LeaseRecord } from "./lease.js";

/**
 * A lease as `sys/leases/lookup` answers it: Vault's fields (`id`, `issue_time`, `expire_time`,
 * `last_renewal`, `renewable`, `ttl` in seconds) and vaultlet's `state`, `revoke_attempts` and
 * `last_error`.
 *
 * @param now - the current time (ms since the epoch), for `ttl`
 */
export function lookupView(lease: LeaseRecord, now: number): Record<string, unknown> {
  return {
    id: lease.id,
    issue_time: new Date(lease.issueTime).toISOString(),
    expire_time: new Date(lease.expireTime).toISOString(),
    last_renewal: lease.lastRenewalTime === undefined ? null : new Date(lease.lastRenewalTime).toISOString(),
    renewable: lease.renewable,
    ttl: Math.max(0, Math.floor((lease.expireTime - now) / 1000)),
    state: lease.state,
    revoke_attempts: lease.revokeAttempts,
    last_error: lease.lastError ?? null,
  };
}
