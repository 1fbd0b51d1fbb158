/**
 * Turns what happens inside the engine into public events, metrics and log lines, in one place,
 * so that what a host sees, counts and logs always agree — and none of it carries a secret.
 *
 * @module
 */
import type { TokenEntry } from "../auth/token/token-entry.js";
import type { LeaseRecord } from "../leases/lease.js";
import type { LeaseLifecycleEvent } from "../leases/lease-events.js";
import type { EngineEventName, EngineEvents, LeaseEventPayload } from "./engine-events.js";
import { EventHub } from "./event-hub.js";
import { LeaseCounts, roleOf } from "./lease-counts.js";
import { silentLogger, type Logger } from "./logger.js";
import type { EngineMetrics } from "./metrics.js";

type Level = keyof Logger;

const TOKEN_MOUNT = "auth/token/";

/** The level and message each event is logged with. */
const LOG: { [K in EngineEventName]: [Level, string] } = {
  "lease.created": ["debug", "lease created"],
  "lease.renewed": ["debug", "lease renewed"],
  "lease.expired": ["debug", "lease expired"],
  "lease.revoked": ["debug", "lease revoked"],
  "lease.forgotten": ["warn", "lease removed without revoking its secret"],
  "lease.revoke_failed": ["warn", "lease revocation failed; will retry"],
  "lease.irrevocable": ["error", "lease is irrevocable: revocation kept failing"],
  "token.created": ["debug", "token created"],
  "token.revoked": ["debug", "token revoked"],
  "mount.enabled": ["info", "secrets engine mounted"],
  "mount.disabled": ["info", "secrets engine unmounted"],
  "mount.tuned": ["info", "mount tuned"],
  "mount.remounted": ["info", "secrets engine remounted"],
  "config.changed": ["info", "database connection config changed"],
  "role.changed": ["info", "database role changed"],
  "policy.changed": ["info", "policy changed"],
  "audit.enabled": ["info", "audit device enabled"],
  "audit.disabled": ["info", "audit device disabled"],
  "quota.threshold": ["warn", "lease count reached the warning threshold of max_leases"],
  "quota.exceeded": ["warn", "creds refused: max_leases reached"],
  "storage.exposed": ["error", "login roles reach the storage's records; it refuses every use until they no longer do"],
};

/** The engine's events, lease counts, counters and logging. */
export class EngineObserver {
  /** The listeners of `engine.on`. */
  readonly events: EventHub<EngineEvents>;
  /** Live leases by mount and role (metrics and guardrails read them). */
  readonly counts = new LeaseCounts();
  readonly #logger: Logger;
  readonly #totals = { created: 0, renewed: 0, expired: 0, revoked: 0, failed: 0, irrevocable: 0, tokensCreated: 0, tokensRevoked: 0, quotaRejected: 0 };

  /** @param logger - the host's logger (already made safe) */
  constructor(logger: Logger) {
    this.#logger = logger;
    this.events = new EventHub(logger);
  }

  /** Emits an event to listeners and logs it. Never throws. */
  emit<K extends EngineEventName>(name: K, payload: EngineEvents[K]): void {
    if (this.#logger !== silentLogger) {
      const [level, message] = LOG[name];
      // Accessors stay out of logs (Vault HMACs them in its audit log by default); listeners get them.
      const { accessor: _accessor, ...fields } = payload as EngineEvents[K] & { accessor?: string };
      this.#logger[level]({ event: name, ...fields }, message);
    }
    this.events.emit(name, payload);
  }

  /** The lease manager's listener. */
  readonly leaseChanged = (event: LeaseLifecycleEvent): void => {
    const { lease } = event;
    switch (event.type) {
      case "restored":
        this.counts.track(lease);
        return;
      case "created":
        this.#totals.created++;
        this.counts.track(lease);
        return this.#emitLease("lease.created", lease, { ttl: lease.ttl });
      case "renewed":
        this.#totals.renewed++;
        return this.#emitLease("lease.renewed", lease);
      case "expired":
        this.#totals.expired++;
        return this.#emitLease("lease.expired", lease);
      case "revoked":
        this.#totals.revoked++;
        this.counts.untrack(lease.id);
        return this.#emitLease("lease.revoked", lease);
      case "forgotten":
        this.counts.untrack(lease.id);
        // A token's own lease is dropped when the token is revoked: for it, that is the revocation.
        if (lease.mountPath === TOKEN_MOUNT) return this.#emitLease("lease.revoked", lease);
        return this.#emitLease("lease.forgotten", lease);
      case "revoke_failed":
        this.#totals.failed++;
        return this.#emitLease("lease.revoke_failed", lease, { attempts: lease.revokeAttempts, error: event.error });
      case "moved":
        // Counted under its mount's new path from now on (no public event: the remount is one).
        this.counts.untrack(event.previous.id);
        this.counts.track(lease);
        return;
      case "irrevocable":
        this.#totals.irrevocable++;
        this.counts.markIrrevocable(lease.id);
        return this.#emitLease("lease.irrevocable", lease, { attempts: lease.revokeAttempts, error: event.error });
    }
  };

  /**
   * Emits a lease event. Every credential issued and revoked passes here, so the payload is built
   * only when a listener or the logger will see it.
   */
  #emitLease<K extends EngineEventName>(name: K, lease: LeaseRecord, extra?: Record<string, unknown>): void {
    if (this.#logger === silentLogger && !this.events.has(name)) return;
    this.emit(name, { ...describeLease(lease), ...extra } as unknown as EngineEvents[K]);
  }

  /** The token manager's listener. */
  readonly tokenChanged = (event: { type: "created" | "revoked"; entry: TokenEntry }): void => {
    const payload = { accessor: event.entry.accessor, displayName: event.entry.displayName, policies: [...event.entry.policies] };
    if (event.type === "created") {
      this.#totals.tokensCreated++;
      this.emit("token.created", payload);
    } else {
      this.#totals.tokensRevoked++;
      this.emit("token.revoked", payload);
    }
  };

  /** Counts a creds request refused by a guardrail. */
  quotaRejected(): void {
    this.#totals.quotaRejected++;
  }

  /** The metrics snapshot, with the revocation gauges the lease manager keeps. */
  metrics(queueDepth: number, waitingForDatabase = 0): EngineMetrics {
    const byMount = this.counts.byMount();
    const t = this.#totals;
    return {
      leases: {
        active: byMount.reduce((sum, m) => sum + m.active, 0),
        irrevocable: byMount.reduce((sum, m) => sum + m.irrevocable, 0),
        byMount,
        byRole: this.counts.byRole(),
        created: t.created,
        renewed: t.renewed,
        expired: t.expired,
      },
      revocations: { queueDepth, waitingForDatabase, succeeded: t.revoked, failed: t.failed, becameIrrevocable: t.irrevocable },
      tokens: { created: t.tokensCreated, revoked: t.tokensRevoked },
      quotas: { rejected: t.quotaRejected },
    };
  }
}

function describeLease(lease: LeaseRecord): LeaseEventPayload {
  return { leaseId: lease.id, mount: lease.mountPath, path: lease.path, role: roleOf(lease), expireTime: new Date(lease.expireTime).toISOString() };
}
