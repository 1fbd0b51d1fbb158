/**
 * What the lease manager reports as leases change state. The engine turns these into public
 * events, metrics and log lines; the lease manager itself knows nothing about them.
 *
 * @module
 */
import type { LeaseRecord } from "./lease.js";

/**
 * One change of a lease. `restored` is a lease loaded from storage at startup; `forgotten` a lease
 * removed without revoking its secret (revoke-force, a token's own lease).
 */
export type LeaseLifecycleEvent =
  | { type: "created" | "restored" | "renewed" | "expired" | "revoked" | "forgotten"; lease: LeaseRecord }
  | { type: "revoke_failed" | "irrevocable"; lease: LeaseRecord; error: string }
  /** `sys/remount` moved the lease to its mount's new path: `lease` has the new id, `previous` the old. */
  | { type: "moved"; lease: LeaseRecord; previous: LeaseRecord };

/**
 * Receives lease changes. It must not throw or reject (the engine's listener never does). The
 * lease manager waits for a promise it returns for `revoked` and `forgotten`, so what a removed
 * lease held (its `max_leases` slots) is free when the revocation returns, and for `moved`, so
 * its slots carry the new id before the old record goes.
 */
export type LeaseEventListener = (event: LeaseLifecycleEvent) => void | Promise<void>;
