/**
 * The re-check of a request in flight: is its token still stored?
 *
 * @module
 */
import { PermissionDeniedError } from "../../errors.js";
import type { TokenEntry } from "./token-entry.js";
import type { TokenStore } from "./token-store.js";

/**
 * Resolves when the token of `entry` is still stored. Existence is what counts, not expiry or
 * use count: a token at its last use is still being served, and a token that expired meanwhile is
 * revoked by its lease, which then finds whatever its request recorded. Ancestors are not walked:
 * revoking an ancestor deletes every descendant before listing the descendant's leases and
 * children, so the token's own record answers for its whole chain (see `leases/pending-lease.ts`).
 *
 * @throws PermissionDeniedError when the token has been revoked
 */
export async function confirmTokenLive(tokens: TokenStore, entry: TokenEntry): Promise<void> {
  if (!(await tokens.exists(entry))) {
    throw new PermissionDeniedError("permission denied: the token was revoked while this request was in flight");
  }
}
