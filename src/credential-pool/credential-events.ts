/**
 * What a credential lease tells its owner: the credentials it holds, and its events. No event
 * payload ever carries a password.
 *
 * @module
 */

/** Credentials as they may be shown, logged or sent in events: never the password. */
export interface CredentialInfo {
  /** The database username. */
  readonly username: string;
  /** The lease that carries them, e.g. `"database/creds/readonly/AbC…"` (lease ids are not secret). */
  readonly leaseId: string;
  /** When the lease ends unless renewed, on the engine's clock. */
  readonly expiresAt: Date;
}

/** The credentials themselves, for the driver that logs in with them: {@link CredentialInfo} and the password. */
export interface LeasedCredentials extends CredentialInfo {
  /** The database password. Hand it to the driver only; never log it. */
  readonly password: string;
}

/**
 * Why a lease was replaced:
 * - `max_ttl`: renewal could no longer extend it (capped at its max TTL, or not renewable);
 * - `revoked`: the lease is gone (revoked by an admin, expired, or its token revoked);
 * - `refused`: the engine refused to renew it (e.g. expired);
 * - `login_failed`: the database refused a login with these credentials;
 * - `requested`: the owner asked for it (`rotate()`).
 */
export type RotateReason = "max_ttl" | "revoked" | "refused" | "login_failed" | "requested";

/** The `rotate` event: new credentials replaced the previous ones. */
export interface RotateEvent {
  /** The credentials replaced; their lease is revoked once no longer used. */
  readonly previous: CredentialInfo;
  /** The credentials in use from now on. */
  readonly current: CredentialInfo;
  /** Why the lease was replaced. */
  readonly reason: RotateReason;
}

/** The `renew` event: the current lease was extended. */
export interface RenewEvent {
  /** The credentials, with their new expiry. */
  readonly current: CredentialInfo;
  /** Whether the renewal reached the lease's max TTL (the next step is a rotation). */
  readonly final: boolean;
}

/** What was being done when a {@link FailureEvent} happened. */
export type CredentialAction = "renew" | "rotate" | "revoke";

/**
 * The `failure` event: a renewal, rotation or revocation failed. The credentials in hand stay in
 * use; the step is retried after `retryInMs` unless `final`. Named `failure`, not `error`, so that
 * a missing listener never crashes the process.
 */
export interface FailureEvent {
  /** What failed. */
  readonly action: CredentialAction;
  /** The lease it concerned. */
  readonly leaseId: string;
  /** The engine's error (vaultlet errors carry no secret). */
  readonly error: Error;
  /** When the step is tried again; absent when `final`. */
  readonly retryInMs?: number;
  /** True when nothing will be retried: the engine is closed, or the lease holder itself closed. */
  readonly final: boolean;
}

/** The events of a credential lease, by name. */
export interface CredentialLeaseEvents {
  rotate: RotateEvent;
  renew: RenewEvent;
  failure: FailureEvent;
}
