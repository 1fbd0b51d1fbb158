/**
 * Taking leases over from storage: every lease at open (in the background, batch by batch), the
 * rollback of pending leases a crash left, and — on storage shared by several processes — the
 * claims that hand each due lease to exactly one process.
 *
 * @module
 */
import type { TimerHandle } from "../util/clock.js";
import { randomId } from "../util/random.js";
import type { LeaseRecord } from "./lease.js";
import { READ_BATCH } from "./lease-store.js";
import { nextAttemptTime, type LeaseRevocation, type RevocationDependencies } from "./lease-revocation.js";

/** Due leases claimed per query on shared storage. */
const CLAIM_BATCH = 1000;

/** What the restore works with. */
export interface RestoreDependencies extends RevocationDependencies {
  revocation: LeaseRevocation;
}

/**
 * Loads leases from storage into this process's schedule and token index. Requests never wait for
 * it (they read storage, the source of truth), except a token's revocation, which needs the
 * token index complete.
 */
export class LeaseRestore {
  readonly #deps: RestoreDependencies;
  readonly #owner = randomId();
  #running: Promise<void> | undefined;
  #pause: { handle: TimerHandle; resolve: () => void } | undefined;
  #closed = false;

  /** @param deps - the lease manager's parts the restore fills in */
  constructor(deps: RestoreDependencies) {
    this.#deps = deps;
  }

  /** Starts the background load (once); if storage fails, it is retried with backoff. */
  start(): void {
    this.#running ??= this.#loadUntilDone();
  }

  /** The background load while it runs (or after), `undefined` if it never started. */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  /** Resolves once every lease found at open is loaded (at once if the restore never started). */
  async done(): Promise<void> {
    await this.#running;
  }

  /** Stops loading (a backoff pause ends at once); {@link done} then resolves soon. */
  close(): void {
    this.#closed = true;
    if (!this.#pause) return;
    this.#deps.clock.clearTimer(this.#pause.handle);
    this.#pause.resolve();
  }

  /**
   * Shared storage: revokes only the due leases this process managed to claim, batch after batch,
   * so that of several processes exactly one revokes each lease. The schedule only said when to
   * look. A storage outage just ends this round; the next wake-up tries again.
   */
  async revokeClaimed(now: number): Promise<void> {
    const request = { now, limit: CLAIM_BATCH, claimMs: this.#deps.options.claimMs, owner: this.#owner };
    while (!this.#closed) {
      let ids: string[];
      try {
        ids = await this.#deps.store.claimDue(request);
      } catch {
        return;
      }
      await this.#deps.revocation.revokeScheduledMany(ids);
      if (ids.length < CLAIM_BATCH) return;
    }
  }

  async #loadUntilDone(): Promise<void> {
    const { initialBackoffMs, maxBackoffMs } = this.#deps.options;
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        await this.#loadAll();
        return;
      } catch {
        await this.#sleep(Math.min(initialBackoffMs * 2 ** (attempt - 1), maxBackoffMs));
      }
    }
  }

  /** Schedules each batch as it comes, so expired leases start being revoked while the rest load. */
  async #loadAll(): Promise<void> {
    const ids = await this.#deps.store.list();
    for (let start = 0; start < ids.length && !this.#closed; start += READ_BATCH) {
      const leases = await this.#deps.store.getMany(ids.slice(start, start + READ_BATCH));
      for (const lease of leases) if (lease) this.#adopt(lease);
    }
  }

  #adopt(lease: LeaseRecord): void {
    const { issuing, tokens, scheduler, onEvent } = this.#deps;
    if (issuing.has(lease.id)) return;
    tokens.noteRestored(lease); // leases stored before the token → lease index existed
    scheduler.schedule(lease.id, this.#dueTime(lease));
    onEvent({ type: "restored", lease });
  }

  /**
   * When a lease found in storage falls due. Pending ones (a crash between the write-ahead record
   * and the secret's creation) are rolled back: at once on single-process storage, after the grace
   * period on shared storage, where another process may still be creating the secret.
   */
  #dueTime(lease: LeaseRecord): number {
    const { clock, options, store } = this.#deps;
    if (lease.state !== "pending") return nextAttemptTime(lease, clock.now(), options);
    return store.shared ? lease.issueTime + options.pendingGraceMs : 0;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.#deps.clock.setTimer(() => {
        this.#pause = undefined;
        resolve();
      }, ms);
      this.#pause = { handle, resolve };
    });
  }
}
