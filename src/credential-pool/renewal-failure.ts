/**
 * What a failed renewal means for the lease: replace it, try again later, or stop.
 *
 * @module
 */
import { InvalidRequestError, LeaseNotFoundError, NotInitializedError, PermissionDeniedError, SealedError } from "../errors.js";
import type { RotateReason } from "./credential-events.js";

/** What to do after a failed step. */
export type FailureVerdict = { kind: "rotate"; reason: RotateReason } | { kind: "retry" } | { kind: "stop" };

/**
 * Classifies a renewal's error:
 * - the lease is gone — `LeaseNotFoundError`, or the denial the holder rule gives for a lease that
 *   is no longer active (`PermissionDeniedError`) — or the engine refuses to extend it
 *   (`InvalidRequestError`: expired, max TTL reached, not renewable): rotate;
 * - the engine is closed or uninitialized: stop, nothing this lease does can succeed;
 * - anything else (the database or storage unreachable, audit failing): retry.
 */
export function renewalVerdict(error: unknown): FailureVerdict {
  if (error instanceof LeaseNotFoundError || error instanceof PermissionDeniedError) return { kind: "rotate", reason: "revoked" };
  if (error instanceof InvalidRequestError) return { kind: "rotate", reason: "refused" };
  return stopsEverything(error) ? { kind: "stop" } : { kind: "retry" };
}

/** Classifies any other step's error (a rotation's read, a revocation): stop when the engine is closed, else retry. */
export function stepVerdict(error: unknown): FailureVerdict {
  return stopsEverything(error) ? { kind: "stop" } : { kind: "retry" };
}

/** Whether a revocation's error means the lease is already gone (expired, revoked, its token revoked). */
export function leaseAlreadyGone(error: unknown): boolean {
  return error instanceof LeaseNotFoundError || error instanceof PermissionDeniedError;
}

function stopsEverything(error: unknown): boolean {
  return error instanceof SealedError || error instanceof NotInitializedError;
}
