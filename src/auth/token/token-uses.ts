/**
 * The use count of a limited-use token, as a pure decision over its stored record.
 *
 * @module
 */
import type { TokenEntry } from "./token-entry.js";

/**
 * What consuming one use gave: `"unlimited"` (the token has no use limit), `"used"` (one use
 * taken, more left), `"last"` (the token's final use: serve the request, then revoke the token),
 * or `"refused"` (the token is gone or already spent: refuse the request).
 */
export type UseOutcome = "unlimited" | "used" | "last" | "refused";

/** The stored `numUses` of a token whose last use has been taken (its revocation follows). */
export const SPENT = -1;

/**
 * Decides one use of the token record `current`: the outcome, and the record to store instead
 * (`undefined`: store nothing). Pure, so an atomic update may call it again after a conflict.
 */
export function consumeOneUse(current: TokenEntry | undefined): { outcome: UseOutcome; next?: TokenEntry } {
  if (!current || current.numUses < 0) return { outcome: "refused" };
  if (current.numUses === 0) return { outcome: "unlimited" };
  if (current.numUses === 1) return { outcome: "last", next: { ...current, numUses: SPENT } };
  return { outcome: "used", next: { ...current, numUses: current.numUses - 1 } };
}
