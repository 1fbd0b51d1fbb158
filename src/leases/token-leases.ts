/**
 * Which leases each token created, so that revoking a token revokes them.
 *
 * @module
 */
import type { LeaseRecord } from "./lease.js";

/**
 * The leases of each token (by accessor), in this process's memory: filled by issue and by the
 * restore, emptied as leases go. A token→lease index kept in storage, for revocation across
 * processes, would replace this class.
 */
export class TokenLeases {
  readonly #byToken = new Map<string, Set<string>>();

  /** Records that `lease` belongs to its token. */
  add(lease: LeaseRecord): void {
    let ids = this.#byToken.get(lease.tokenAccessor);
    if (!ids) this.#byToken.set(lease.tokenAccessor, (ids = new Set()));
    ids.add(lease.id);
  }

  /** Forgets a lease that is gone. */
  remove(lease: LeaseRecord): void {
    const ids = this.#byToken.get(lease.tokenAccessor);
    ids?.delete(lease.id);
    if (ids?.size === 0) this.#byToken.delete(lease.tokenAccessor);
  }

  /** Ids of the leases of the token with this accessor. */
  idsFor(accessor: string): string[] {
    return [...(this.#byToken.get(accessor) ?? [])];
  }
}
