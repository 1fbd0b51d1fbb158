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
import type { Clock } from "../util/clock.js";
import type { LeaseLifecycleEvent } from "./lease-events.js";
import type { LeaseRecord } from "./lease.js";
import { LeaseSlots } from "./lease-slots.js";
import { LeaseCounts } from "../observability/lease-counts.js";

/** Takes the slots of a lease about to be written (see {@link LeaseQuotas.guard}). */
export type ReserveSlots = (lease: LeaseRecord) => Promise<void>;

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
  /** The slot record in storage. */
  slotKey: string;
  maxLeases: number;
  /** Live leases this engine knows of (for warnings). */
  live: () => number;
  /** Live leases this engine knows of that hold no slot (issued before the limit was set). */
  unslotted: () => number;
}

/**
 * Refuses to issue a secret past a mount's or a role's `max_leases`, before anything is created
 * (no database user). The count lives in storage ({@link LeaseSlots}), so a limit holds across
 * every engine sharing it: a lease takes a slot write-ahead, atomically, before its pending record
 * is written, and frees it when it is revoked or forgotten (irrevocable leases keep theirs: their
 * database users still exist) or its issue fails. Leases this engine counts that hold no slot
 * (issued before the limit was set) count too.
 */
export class LeaseQuotas {
  readonly #observer: EngineObserver;
  readonly #threshold: number;
  readonly #slots: LeaseSlots;
  readonly #clock: Clock;
  readonly #inFlight = new Map<string, number>();
  /**
   * Leases holding no slot (issued while no limit was set), which a new limit must still count.
   * Only those: a lease that holds a slot is counted by its slot record, which another engine's
   * revocation frees — this engine's own tally of live leases does not hear of that.
   */
  readonly #unslotted = new LeaseCounts();
  readonly #onReleaseFailure: (error: unknown) => void;

  /**
   * @param observer - the engine's lease counts and events
   * @param slots - the slot records
   * @param onReleaseFailure - told when freeing a slot failed (reconciliation frees it later)
   * @throws InvalidRequestError for a threshold outside (0, 1]
   */
  constructor(
    observer: EngineObserver,
    options: GuardrailOptions = {},
    slots: LeaseSlots,
    clock: Clock,
    onReleaseFailure: (error: unknown) => void = () => undefined,
  ) {
    const threshold = options.warningThreshold ?? 0.8;
    if (!(threshold > 0 && threshold <= 1)) throw new InvalidRequestError("guardrails.warningThreshold must be a ratio in (0, 1], e.g. 0.8");
    this.#observer = observer;
    this.#threshold = threshold;
    this.#slots = slots;
    this.#clock = clock;
    this.#onReleaseFailure = onReleaseFailure;
  }

  /**
   * Issues through `issue`, which must call the `reserve` it is given with the lease before writing
   * it (the lease manager does); `reserve` takes a slot of every limit, or throws. Adds a warning
   * when a limit's threshold is reached.
   *
   * @throws QuotaExceededError when a limit is reached; nothing is then written or created
   */
  async guard(mount: MountEntry, spec: SecretSpec, issue: (reserve: ReserveSlots | undefined) => Promise<BackendResponse>): Promise<BackendResponse> {
    const role = spec.role ?? null;
    const limits = this.#limitsFor(mount, role, spec.maxLeases ?? 0);
    if (limits.length === 0) return issue(undefined);
    const counts = new Map<Limit, number>();
    let reserved: LeaseRecord | undefined;
    const reserve: ReserveSlots = async (lease) => {
      const taken: string[] = [];
      for (const limit of limits) {
        const local = limit.unslotted() + (this.#inFlight.get(limit.key) ?? 0);
        const { taken: ok, count } = await this.#slots.take(limit.slotKey, lease.id, limit.maxLeases, local, this.#clock.now());
        if (!ok) {
          await Promise.all(taken.map((key) => this.#slots.release(key, lease.id)));
          this.#refuse(limit, mount, role, count);
        }
        taken.push(limit.slotKey);
        counts.set(limit, count);
      }
      lease.quotas = taken;
      reserved = lease;
      for (const limit of limits) this.#inFlight.set(limit.key, (this.#inFlight.get(limit.key) ?? 0) + 1);
    };
    let response: BackendResponse;
    try {
      response = await issue(reserve);
    } catch (err) {
      if (reserved) await this.#release(reserved);
      throw err;
    } finally {
      if (reserved) for (const limit of limits) this.#inFlight.set(limit.key, this.#inFlight.get(limit.key)! - 1);
    }
    const warnings = limits.flatMap((limit) => this.#warningFor(limit, mount, role, counts.get(limit) ?? limit.live()));
    return warnings.length === 0 ? response : { ...response, warnings: [...(response.warnings ?? []), ...warnings] };
  }

  /**
   * Frees the slots of leases that are gone (wire it to the lease manager's events, which wait for
   * the promise). Never rejects: a failure is reported, and reconciliation frees the slot later.
   */
  readonly leaseChanged = (event: LeaseLifecycleEvent): Promise<void> | undefined => {
    const { type, lease } = event;
    if (type === "moved") return this.#moved(lease, event.previous);
    if ((type === "created" || type === "restored") && !lease.quotas?.length) this.#unslotted.track(lease);
    if (type === "revoked" || type === "forgotten") this.#unslotted.untrack(lease.id);
    if ((type !== "revoked" && type !== "forgotten") || !lease.quotas?.length) return undefined;
    return this.#release(event.lease).catch((err: unknown) => this.#onReleaseFailure(err));
  };

  /** Frees slots a crash left without a lease (see {@link LeaseSlots.reconcile}). */
  reconcile(leaseExists: (id: string) => Promise<boolean>): Promise<number> {
    return this.#slots.reconcile(leaseExists, this.#clock.now());
  }

  /** A remounted lease: its slots (keyed by the mount's UUID, which stays) now name its new id. */
  #moved(lease: LeaseRecord, previous: LeaseRecord): Promise<void> | undefined {
    if (!lease.quotas?.length) {
      this.#unslotted.untrack(previous.id);
      this.#unslotted.track(lease);
      return undefined;
    }
    return Promise.all(lease.quotas.map((key) => this.#slots.rename(key, previous.id, lease.id)))
      .then(() => undefined)
      .catch((err: unknown) => this.#onReleaseFailure(err));
  }

  async #release(lease: LeaseRecord): Promise<void> {
    await Promise.all((lease.quotas ?? []).map((key) => this.#slots.release(key, lease.id)));
  }

  #limitsFor(mount: MountEntry, role: string | null, roleMax: number): Limit[] {
    const counts = this.#observer.counts;
    const limits: Limit[] = [];
    const mountMax = mount.config.max_leases ?? 0;
    if (mountMax > 0) {
      limits.push({ scope: "mount", key: mount.path, slotKey: LeaseSlots.mountKey(mount.uuid), maxLeases: mountMax, live: () => counts.live(mount.path), unslotted: () => this.#unslotted.live(mount.path) });
    }
    if (roleMax > 0 && role !== null) {
      limits.push({
        scope: "role",
        key: `${mount.path}\u0000${role}`,
        slotKey: LeaseSlots.roleKey(mount.uuid, role),
        maxLeases: roleMax,
        live: () => counts.live(mount.path, role),
        unslotted: () => this.#unslotted.live(mount.path, role),
      });
    }
    return limits;
  }

  #refuse(limit: Limit, mount: MountEntry, role: string | null, count: number): never {
    this.#observer.quotaRejected();
    this.#observer.emit("quota.exceeded", this.#payload(limit, mount, role, count + 1));
    const owner = limit.scope === "mount" ? `mount ${JSON.stringify(mount.path)}` : `role ${JSON.stringify(role)} of mount ${JSON.stringify(mount.path)}`;
    throw new QuotaExceededError(
      `lease count quota exceeded: ${owner} has ${count} of max_leases ${limit.maxLeases} live leases; revoke leases or raise max_leases`,
    );
  }

  #warningFor(limit: Limit, mount: MountEntry, role: string | null, count: number): string[] {
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
