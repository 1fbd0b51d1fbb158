/**
 * The snapshot `engine.metrics()` returns.
 *
 * @module
 */

/**
 * Gauges (current values) and counters (totals since the engine was opened).
 *
 * @example
 * ```ts
 * const m = engine.metrics();
 * m.leases.byRole; // [{ mount: "database/", role: "readonly", active: 12, irrevocable: 0 }]
 * m.revocations.failed; // failed attempts so far
 * ```
 */
export interface EngineMetrics {
  leases: {
    /** Leases whose secret exists and is scheduled for revocation (gauge). */
    active: number;
    /** Leases whose revocation kept failing (gauge). */
    irrevocable: number;
    /** Per mount (gauge). */
    byMount: Array<{ mount: string; active: number; irrevocable: number }>;
    /** Per role of each mount (gauge); leases without a role (tokens) are only in `byMount`. */
    byRole: Array<{ mount: string; role: string; active: number; irrevocable: number }>;
    /** Leases issued so far (counter). */
    created: number;
    /** Leases renewed so far (counter). */
    renewed: number;
    /** Leases that reached their expiry so far (counter). */
    expired: number;
  };
  revocations: {
    /** Revocations waiting for a free slot in the bounded queue (gauge). */
    queueDepth: number;
    /** Leases whose revocation waits for an unreachable database to answer again (gauge; see docs/leases.md). */
    waitingForDatabase: number;
    /** Secrets revoked so far (counter). */
    succeeded: number;
    /** Failed revocation attempts so far (counter). */
    failed: number;
    /** Leases that became irrevocable so far (counter). */
    becameIrrevocable: number;
  };
  tokens: {
    /** Tokens created so far (counter). */
    created: number;
    /** Tokens revoked so far (counter). */
    revoked: number;
  };
  quotas: {
    /** Creds requests refused by a `max_leases` limit so far (counter). */
    rejected: number;
  };
}
