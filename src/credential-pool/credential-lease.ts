/**
 * The credential lease: database credentials read from a creds path, renewed ahead of expiry and
 * replaced when renewal can no longer extend them — the primitive under the credential pool, for
 * any driver (postgres.js, an ORM's own pool).
 *
 * @module
 */
import type { Client } from "../client.js";
import { CredentialLeaseError, InvalidRequestError } from "../errors.js";
import { safeLogger, type Logger } from "../observability/logger.js";
import { EventHub } from "../observability/event-hub.js";
import type { Clock, TimerHandle } from "../util/clock.js";
import { parseDuration } from "../util/ttl.js";
import type { CredentialAction, CredentialInfo, CredentialLeaseEvents, LeasedCredentials, RotateReason } from "./credential-events.js";
import { DEFAULT_RENEW_FRACTION, isFinalRenewal, nextStepAt, retryDelay, type LeaseTerm, type RetryOptions } from "./lease-timing.js";
import { leaseAlreadyGone, renewalVerdict, stepVerdict, type FailureVerdict } from "./renewal-failure.js";

/** Options of {@link openCredentialLease}. */
export interface CredentialLeaseOptions {
  /** The creds path to read, e.g. `"database/creds/readonly"`; the client's token must be allowed to read it. */
  path: string;
  /**
   * The fraction of each granted term after which the lease is renewed — or, once renewal can no
   * longer extend it, replaced (default 2/3). The rest of the term is the margin for retries and
   * for old connections to drain. Between 0.1 and 0.95.
   */
  renewAt?: number;
  /**
   * The increment asked at each renewal, in seconds or as a duration string (default: the
   * duration granted at the first read, i.e. the role's `default_ttl`).
   */
  increment?: number | string;
  /** Backoff of failed renewals, rotations and revocations (default 1 s doubling to 60 s). */
  retry?: RetryOptions;
  /**
   * Whether the owner revokes replaced leases itself, with {@link CredentialLease.release}, once
   * nothing uses them (default false: a replaced lease is revoked right after the `rotate` event).
   * The credential pool sets it, and releases a lease when its last connection has closed.
   */
  holdPrevious?: boolean;
  /** The clock (default: the engine's, `client.clock`). */
  clock?: Clock;
  /** Where listener failures are reported (default: silent). Nothing secret is logged. */
  logger?: Logger;
}

interface HeldLease {
  readonly credentials: LeasedCredentials;
  term: LeaseTerm;
}

/**
 * Database credentials under a lease that renews and rotates itself. Open one with
 * {@link openCredentialLease}.
 *
 * Lifecycle: read → renew at `renewAt` of each term → when a renewal cannot extend the lease (max
 * TTL, revoked, refused), read new credentials, emit `rotate`, and revoke the previous lease (at
 * once, or when the owner calls {@link CredentialLease.release} with `holdPrevious`). Failures are
 * retried with backoff and reported as `failure` events; the credentials in hand stay in use.
 * Timing comes from the engine's clock. See docs/credential-pool.md.
 *
 * @example
 * ```ts
 * const lease = await openCredentialLease(engine.client(appToken), { path: "database/creds/readonly" });
 * const sql = postgres({ host, database, username: () => lease.current().username, password: () => lease.current().password });
 * lease.on("rotate", ({ previous, current }) => log.info({ from: previous.username, to: current.username }, "rotated"));
 * await lease.close(); // revokes what it holds
 * ```
 */
export class CredentialLease {
  readonly #client: Client;
  readonly #path: string;
  readonly #fraction: number;
  readonly #increment: number | undefined;
  readonly #retry: RetryOptions;
  readonly #holdPrevious: boolean;
  readonly #clock: Clock;
  readonly #events: EventHub<CredentialLeaseEvents>;
  #current: HeldLease;
  /** Replaced leases not yet revoked (with `holdPrevious`, until released; else while revoking). */
  readonly #previous = new Map<string, LeasedCredentials>();
  #timer: TimerHandle | undefined;
  /** The step in flight (renewal or rotation): steps never overlap, and close waits for it. */
  #step: Promise<void> = Promise.resolve();
  /** Revocations of replaced leases in flight; close waits for them. */
  readonly #revoking = new Set<Promise<void>>();
  #attempt = 0;
  #closed = false;

  /** @internal use {@link openCredentialLease} */
  constructor(client: Client, options: CredentialLeaseOptions, first: HeldLease, increment: number | undefined, clock: Clock) {
    this.#client = client;
    this.#path = options.path;
    this.#fraction = options.renewAt ?? DEFAULT_RENEW_FRACTION;
    this.#increment = increment;
    this.#retry = options.retry ?? {};
    this.#holdPrevious = options.holdPrevious ?? false;
    this.#clock = clock;
    this.#events = new EventHub(safeLogger(options.logger));
    this.#current = first;
    this.#schedule(nextStepAt(first.term, this.#fraction));
  }

  /**
   * The credentials to log in with now, password included. Ask again for every new connection:
   * after a rotation they are different.
   *
   * @throws CredentialLeaseError after {@link CredentialLease.close}
   */
  current(): LeasedCredentials {
    if (this.#closed) throw new CredentialLeaseError(`the credential lease of ${JSON.stringify(this.#path)} is closed`);
    const { credentials, term } = this.#current;
    return { ...credentials, expiresAt: new Date(term.expiresAt) };
  }

  /** The current credentials without the password: safe to show or log. */
  get info(): CredentialInfo {
    return infoOf(this.#current.credentials, this.#current.term.expiresAt);
  }

  /** The current lease's id (cheaper than {@link CredentialLease.info} on a hot path). */
  get leaseId(): string {
    return this.#current.credentials.leaseId;
  }

  /** The ids of every lease held: the current one, then replaced ones not yet revoked. */
  get held(): readonly string[] {
    return [this.#current.credentials.leaseId, ...this.#previous.keys()];
  }

  /** Listens to `rotate`, `renew` or `failure`. Listeners run synchronously; one that throws is logged and ignored. */
  on<K extends keyof CredentialLeaseEvents>(name: K, listener: (payload: CredentialLeaseEvents[K]) => void): this {
    this.#events.on(name, listener);
    return this;
  }

  /** Removes a listener added with {@link CredentialLease.on}. */
  off<K extends keyof CredentialLeaseEvents>(name: K, listener: (payload: CredentialLeaseEvents[K]) => void): this {
    this.#events.off(name, listener);
    return this;
  }

  /**
   * Replaces the credentials now (reason `requested`), or — given `staleLeaseId` — only if that
   * lease is still the current one (reason `login_failed`): the owner saw the database refuse it,
   * and a rotation that already happened is not repeated. Resolves once the new credentials are
   * current; rejects with the engine's error when they cannot be read (the old ones stay).
   */
  rotate(staleLeaseId?: string): Promise<void> {
    return this.#serialize(async () => {
      if (this.#closed) return;
      if (staleLeaseId !== undefined && staleLeaseId !== this.#current.credentials.leaseId) return;
      await this.#replace(staleLeaseId === undefined ? "requested" : "login_failed");
    });
  }

  /**
   * Revokes a replaced lease that the owner no longer uses (with `holdPrevious`). A lease that is
   * not held, or is the current one, is left alone. A failed revocation is reported as a
   * `failure` event and tried again by {@link CredentialLease.close}; the engine revokes the lease
   * at its expiry in any case.
   */
  release(leaseId: string): Promise<void> {
    if (!this.#previous.has(leaseId)) return Promise.resolve();
    const revoking = this.#revokePrevious(leaseId).finally(() => this.#revoking.delete(revoking));
    this.#revoking.add(revoking);
    return revoking;
  }

  /**
   * Stops renewing and revokes every lease held (the current one and replaced ones). Idempotent.
   *
   * @throws CredentialLeaseError naming the leases that could not be revoked (they end at their
   *   expiry, when the engine revokes them) — e.g. when the engine was closed first
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    await this.#step;
    await Promise.all(this.#revoking);
    const ids = [this.#current.credentials.leaseId, ...this.#previous.keys()];
    const failures: Array<{ id: string; error: unknown }> = [];
    for (const id of ids) {
      try {
        await this.#revoke(id);
        this.#previous.delete(id);
      } catch (error) {
        failures.push({ id, error });
      }
    }
    if (failures.length > 0) {
      const list = failures.map((failure) => JSON.stringify(failure.id)).join(", ");
      throw new CredentialLeaseError(`${failures.length} lease(s) could not be revoked: ${list}; each ends at its expiry`, { cause: failures[0]!.error });
    }
  }

  /** Arms the one timer for the next step (renewal, rotation or retry) at `at` on the clock. */
  #schedule(at: number): void {
    if (this.#closed) return;
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    // Returned to the clock, so a ManualClock's advance() resolves once the step has run.
    this.#timer = this.#clock.setTimer(() => this.#serialize(() => this.#timedStep()), Math.max(0, at - this.#clock.now()));
  }

  #serialize(run: () => Promise<void>): Promise<void> {
    const next = this.#step.then(run);
    this.#step = next.catch(() => undefined);
    return next;
  }

  /** The timed step: renew, or rotate when renewing can no longer extend the lease. */
  async #timedStep(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed) return;
    if (this.#current.term.final) return this.#rotateOrRetry("max_ttl");
    try {
      await this.#renew();
      this.#attempt = 0;
    } catch (error) {
      const verdict = renewalVerdict(error);
      if (verdict.kind === "rotate") return this.#rotateOrRetry(verdict.reason);
      this.#failed("renew", error, verdict);
    }
  }

  async #renew(): Promise<void> {
    const held = this.#current;
    const asked = this.#increment ?? Math.round((held.term.expiresAt - held.term.grantedAt) / 1000);
    const response = await this.#client.write("sys/leases/renew", { lease_id: held.credentials.leaseId, increment: asked });
    const now = this.#clock.now();
    const expiresAt = now + response.lease_duration * 1000;
    // Granted less than asked, or no later than before: the max TTL caps it; rotate next time.
    const final = isFinalRenewal(asked, response.lease_duration) || expiresAt <= held.term.expiresAt;
    held.term = { grantedAt: now, expiresAt, final };
    this.#schedule(nextStepAt(held.term, this.#fraction));
    this.#events.emit("renew", { current: this.info, final });
  }

  async #rotateOrRetry(reason: RotateReason): Promise<void> {
    try {
      await this.#replace(reason);
      this.#attempt = 0;
    } catch (error) {
      this.#failed("rotate", error, stepVerdict(error));
    }
  }

  /** Reads new credentials, makes them current, tells the owner, and lets the previous lease go. */
  async #replace(reason: RotateReason): Promise<void> {
    const next = await readCredentials(this.#client, this.#path, this.#clock);
    if (this.#closed) {
      await this.#revoke(next.credentials.leaseId).catch(() => undefined); // closed meanwhile: give it back
      return;
    }
    const previous = this.#current;
    this.#current = next;
    this.#previous.set(previous.credentials.leaseId, previous.credentials);
    this.#schedule(nextStepAt(next.term, this.#fraction));
    this.#events.emit("rotate", { previous: infoOf(previous.credentials, previous.term.expiresAt), current: this.info, reason });
    if (!this.#holdPrevious) await this.release(previous.credentials.leaseId);
  }

  async #revokePrevious(leaseId: string): Promise<void> {
    try {
      await this.#revoke(leaseId);
      this.#previous.delete(leaseId);
    } catch (error) {
      // Kept: close() tries again, and the engine revokes it at its expiry anyway.
      this.#events.emit("failure", { action: "revoke", leaseId, error: asError(error), final: this.#closed });
    }
  }

  /** Revokes one lease with the lease's own token (the holder rule allows it); one already gone is fine. */
  async #revoke(leaseId: string): Promise<void> {
    try {
      await this.#client.write("sys/leases/revoke", { lease_id: leaseId });
    } catch (error) {
      if (!leaseAlreadyGone(error)) throw error;
    }
  }

  /** Reports a failed step and, unless it can never succeed, retries it with backoff. */
  #failed(action: CredentialAction, error: unknown, verdict: FailureVerdict): void {
    const leaseId = this.#current.credentials.leaseId;
    if (verdict.kind === "stop" || this.#closed) {
      this.#events.emit("failure", { action, leaseId, error: asError(error), final: true });
      return;
    }
    const now = this.#clock.now();
    const delay = retryDelay(++this.#attempt, now, this.#current.term.expiresAt, this.#retry);
    this.#schedule(now + delay);
    this.#events.emit("failure", { action, leaseId, error: asError(error), retryInMs: delay, final: false });
  }
}

/**
 * Reads credentials from `options.path` with the client's token and keeps them alive: renewed at
 * `renewAt` (default 2/3) of each term, replaced when renewal can no longer extend the lease.
 * The token needs only `read` on the path: renewing and revoking the leases it holds is the
 * holder's right (docs/policies.md).
 *
 * @throws the read's error (e.g. `PermissionDeniedError`), or `CredentialLeaseError` when the
 *   path does not answer with leased credentials; `InvalidRequestError` for bad options
 */
export async function openCredentialLease(client: Client, options: CredentialLeaseOptions): Promise<CredentialLease> {
  const renewAt = options.renewAt ?? DEFAULT_RENEW_FRACTION;
  if (!(renewAt >= 0.1 && renewAt <= 0.95)) throw new InvalidRequestError(`renewAt must be between 0.1 and 0.95, got ${renewAt}`);
  if (typeof options.path !== "string" || options.path.length === 0) throw new InvalidRequestError("path is required, e.g. database/creds/readonly");
  const increment = options.increment === undefined ? undefined : parseDuration(options.increment, "increment");
  const clock = options.clock ?? client.clock;
  const first = await readCredentials(client, options.path, clock);
  return new CredentialLease(client, options, first, increment, clock);
}

/** One read of the creds path, checked: a lease, a username and a password. */
async function readCredentials(client: Client, path: string, clock: Clock): Promise<HeldLease> {
  const response = await client.read<{ username?: unknown; password?: unknown }>(path);
  const grantedAt = clock.now();
  const { username, password } = response.data ?? {};
  if (!response.lease_id || typeof username !== "string" || typeof password !== "string") {
    if (response.lease_id) await client.write("sys/leases/revoke", { lease_id: response.lease_id }).catch(() => undefined);
    throw new CredentialLeaseError(`${JSON.stringify(path)} did not answer with leased credentials (a lease, a username and a password)`);
  }
  const expiresAt = grantedAt + response.lease_duration * 1000;
  return {
    credentials: { username, password, leaseId: response.lease_id, expiresAt: new Date(expiresAt) },
    term: { grantedAt, expiresAt, final: !response.renewable },
  };
}

/** The credentials without their password, with the expiry of the lease's latest term. */
function infoOf(credentials: LeasedCredentials, expiresAt: number): CredentialInfo {
  return { username: credentials.username, leaseId: credentials.leaseId, expiresAt: new Date(expiresAt) };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
