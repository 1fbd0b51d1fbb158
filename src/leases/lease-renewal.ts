/**
 * Renewal: a lease's new expiry, checked and capped, and the renewal itself.
 *
 * @module
 */
import { InvalidRequestError, LeaseNotFoundError } from "../errors.js";
import { formatDuration } from "../util/ttl.js";
import type { RenewalLimits } from "../backend/backend.js";
import type { LeaseRecord } from "./lease.js";
import type { RevocationDependencies } from "./lease-revocation.js";

/** The result of a renewal. */
export interface RenewResult {
  lease: LeaseRecord;
  /** Seconds until the new expiry. */
  duration: number;
  /** What was capped: the backend's limits' warnings, then the renewal's own (TTL past the max). */
  warnings: string[];
}

/**
 * Renews `lease` (just read from storage) within the limits its backend gives it now
 * (`Backend.renewalLimits`; a periodic secret by its period, whatever the increment): the backend
 * extends the secret, then the record and the schedule move to the new expiry.
 *
 * @throws InvalidRequestError when the lease is not renewable, expired, or already at its max TTL;
 *   LeaseNotRenewableError (from the backend) when its role is gone
 */
export async function renewLease(deps: RevocationDependencies, lease: LeaseRecord, incrementSeconds: number | undefined): Promise<RenewResult> {
  assertRenewable(lease, deps.clock.now());
  const backend = deps.backendFor(lease.mountPath, lease.mountUuid);
  const limits = await backend?.renewalLimits?.(lease);
  const current = withCurrentLimits(lease, limits);
  const now = deps.clock.now();
  // A periodic secret renews to its period, not to the increment asked for (Vault's CalculateTTL).
  const { expireTime, warning } = renewedExpiry(current, now, limits?.period ?? incrementSeconds);
  await backend?.renewSecret?.(current, expireTime);
  const renewed: LeaseRecord = { ...current, expireTime, lastRenewalTime: now };
  // Never writes back a lease revoked meanwhile (with its token, say, by any engine).
  if (!(await deps.store.replaceIfPresent(renewed, expireTime))) throw new LeaseNotFoundError(lease.id);
  deps.scheduler.schedule(lease.id, expireTime);
  deps.onEvent({ type: "renewed", lease: renewed });
  const warnings = [...(limits?.warnings ?? []), ...(warning === undefined ? [] : [warning])];
  return { lease: renewed, duration: Math.round((expireTime - now) / 1000), warnings };
}

/**
 * The lease with the limits its backend gives it now (its role's and mount's `max_ttl` as they
 * are, which may be lower or higher than at issue, as in Vault); as recorded when the backend
 * gives none.
 */
function withCurrentLimits(lease: LeaseRecord, limits: RenewalLimits | undefined): LeaseRecord {
  if (!limits) return lease;
  return { ...lease, maxTtl: limits.maxTtl, ...(limits.defaultTtl !== undefined && limits.defaultTtl > 0 && { ttl: limits.defaultTtl }) };
}

function assertRenewable(lease: LeaseRecord, now: number): void {
  if (!lease.renewable) throw new InvalidRequestError(`lease is not renewable: ${JSON.stringify(lease.id)}`);
  if (lease.state !== "active" || lease.expireTime <= now) {
    throw new InvalidRequestError(`lease expired and cannot be renewed: ${JSON.stringify(lease.id)}`);
  }
}

/**
 * The expiry a renewal grants: `increment` seconds from now (the lease's TTL when 0 or omitted),
 * capped at issue time + max TTL with a warning.
 *
 * @throws InvalidRequestError when the lease already reached its max TTL
 */
export function renewedExpiry(lease: LeaseRecord, now: number, incrementSeconds: number | undefined): { expireTime: number; warning?: string } {
  const increment = incrementSeconds && incrementSeconds > 0 ? incrementSeconds : lease.ttl;
  const maxExpire = lease.issueTime + lease.maxTtl * 1000;
  if (maxExpire <= now) {
    throw new InvalidRequestError(`lease has reached its max TTL and cannot be renewed: ${JSON.stringify(lease.id)}`);
  }
  const wanted = now + increment * 1000;
  if (wanted <= maxExpire) return { expireTime: wanted };
  const allowed = Math.floor((maxExpire - now) / 1000);
  return {
    expireTime: maxExpire,
    warning: `TTL of ${formatDuration(increment)} exceeded the effective max_ttl of ${formatDuration(allowed)}; TTL value is capped accordingly`,
  };
}
