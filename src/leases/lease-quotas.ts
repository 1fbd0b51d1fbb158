/**
 * Lease-count guardrails: `max_leases` per mount and per role, checked before a secret is created.
 *
 * @module
 */
import type { BackendResponse, SecretSpec } from "../backend/backend.js";
import { InvalidRequestError, QuotaExceededError } from "../errors.js";
import type { EngineObserver } from "../observability/engine-observer.js";
import type { QuotaPayload } from "../observability/engine-events.js";
import type { MountEntry } from "../mounts/mount-entry.js";

/** Guardrail settings of {@link EngineOptions}. */
export interface GuardrailOptions {
  /**
   * The share of a `max_leases` limit at which issuing warns (a response warning and a
   * `quota.threshold` event): 0 < ratio ≤ 1, default 0.8.
   */
  warningThreshold?: number;
}

interface Limit {
  scope: QuotaPayload["scope"];
  key: string;
  maxLeases: number;
  live: () => number;
}

/**
 * Refuses to issue a secret past a mount's or a role's `max_leases`, before anything is created
 * (no lease, no database user). Leases being issued right now count too, so concurrent requests
 * can never overshoot a limit; leases count until they are revoked (irrevocable ones included:
 * their database users still exist).
 */
export class LeaseQuotas {
  readonly #observer: EngineObserver;
  readonly #threshold: number;
  readonly #inFlight = new Map<string, number>();

  /**
   * @param observer - the engine's lease counts and events
   * @throws InvalidRequestError for a threshold outside (0, 1]
   */
  constructor(observer: EngineObserver, options: GuardrailOptions = {}) {
    const threshold = options.warningThreshold ?? 0.8;
    if (!(threshold > 0 && threshold <= 1)) throw new InvalidRequestError("guardrails.warningThreshold must be a ratio in (0, 1], e.g. 0.8");
    this.#observer = observer;
    this.#threshold = threshold;
  }

  /**
   * Issues through `issue` if every limit allows one more lease, and adds a warning when a limit's
   * threshold is reached.
   *
   * @throws QuotaExceededError when a limit is reached; `issue` is then never called
   */
  async guard(mount: MountEntry, spec: SecretSpec, issue: () => Promise<BackendResponse>): Promise<BackendResponse> {
    const role = spec.role ?? null;
    const limits = this.#limitsFor(mount, role, spec.maxLeases ?? 0);
    if (limits.length === 0) return issue();
    for (const limit of limits) this.#check(limit, mount, role);
    for (const limit of limits) this.#inFlight.set(limit.key, (this.#inFlight.get(limit.key) ?? 0) + 1);
    let response: BackendResponse;
    try {
      response = await issue();
    } finally {
      for (const limit of limits) this.#inFlight.set(limit.key, this.#inFlight.get(limit.key)! - 1);
    }
    const warnings = limits.flatMap((limit) => this.#warningFor(limit, mount, role));
    return warnings.length === 0 ? response : { ...response, warnings: [...(response.warnings ?? []), ...warnings] };
  }

  #limitsFor(mount: MountEntry, role: string | null, roleMax: number): Limit[] {
    const counts = this.#observer.counts;
    const limits: Limit[] = [];
    const mountMax = mount.config.max_leases ?? 0;
    if (mountMax > 0) limits.push({ scope: "mount", key: mount.path, maxLeases: mountMax, live: () => counts.live(mount.path) });
    if (roleMax > 0 && role !== null) {
      limits.push({ scope: "role", key: `${mount.path}\u0000${role}`, maxLeases: roleMax, live: () => counts.live(mount.path, role) });
    }
    return limits;
  }

  #check(limit: Limit, mount: MountEntry, role: string | null): void {
    const count = limit.live() + (this.#inFlight.get(limit.key) ?? 0);
    if (count < limit.maxLeases) return;
    this.#observer.quotaRejected();
    this.#observer.emit("quota.exceeded", this.#payload(limit, mount, role, count + 1));
    const owner = limit.scope === "mount" ? `mount ${JSON.stringify(mount.path)}` : `role ${JSON.stringify(role)} of mount ${JSON.stringify(mount.path)}`;
    throw new QuotaExceededError(
      `lease count quota exceeded: ${owner} has ${count} of max_leases ${limit.maxLeases} live leases; revoke leases or raise max_leases`,
    );
  }

  #warningFor(limit: Limit, mount: MountEntry, role: string | null): string[] {
    const count = limit.live();
    const warnAt = Math.max(1, Math.ceil(limit.maxLeases * this.#threshold));
    if (count < warnAt) return [];
    if (count - 1 < warnAt) this.#observer.emit("quota.threshold", this.#payload(limit, mount, role, count));
    const owner = limit.scope === "mount" ? `mount ${JSON.stringify(mount.path)}` : `role ${JSON.stringify(role)}`;
    return [`${owner} has ${count} of max_leases ${limit.maxLeases} live leases (warning threshold ${Math.round(this.#threshold * 100)}%)`];
  }

  #payload(limit: Limit, mount: MountEntry, role: string | null, count: number): QuotaPayload {
    return { scope: limit.scope, mount: mount.path, role, count, maxLeases: limit.maxLeases, threshold: this.#threshold };
  }
}
