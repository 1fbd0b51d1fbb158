/**
 * Live lease counts by mount and by role, kept up to date from lease changes (no storage scans).
 *
 * @module
 */
import type { LeaseRecord } from "../leases/lease.js";

/** The role a lease was issued for (database leases), else `null`. */
export function roleOf(lease: LeaseRecord): string | null {
  return lease.role ?? null;
}

interface Tally {
  active: number;
  irrevocable: number;
}

interface Tracked {
  mount: string;
  role: string | null;
  irrevocable: boolean;
}

/** Counts of live leases; a lease counts until it is revoked or forgotten. */
export class LeaseCounts {
  readonly #leases = new Map<string, Tracked>();
  readonly #byMount = new Map<string, Tally>();
  readonly #byRole = new Map<string, Map<string, Tally>>();

  /** Starts counting a lease (idempotent). */
  track(lease: LeaseRecord): void {
    if (this.#leases.has(lease.id)) return;
    const tracked: Tracked = { mount: lease.mountPath, role: roleOf(lease), irrevocable: lease.state === "irrevocable" };
    this.#leases.set(lease.id, tracked);
    this.#adjust(tracked, 1);
  }

  /** Marks a counted lease irrevocable. */
  markIrrevocable(id: string): void {
    const tracked = this.#leases.get(id);
    if (!tracked || tracked.irrevocable) return;
    this.#adjust(tracked, -1);
    tracked.irrevocable = true;
    this.#adjust(tracked, 1);
  }

  /** Stops counting a lease (idempotent). */
  untrack(id: string): void {
    const tracked = this.#leases.get(id);
    if (!tracked) return;
    this.#leases.delete(id);
    this.#adjust(tracked, -1);
  }

  /** Live leases (active and irrevocable) of a mount, or of one role of it. */
  live(mount: string, role?: string | null): number {
    const tally = role === undefined ? this.#byMount.get(mount) : role === null ? undefined : this.#byRole.get(mount)?.get(role);
    return tally ? tally.active + tally.irrevocable : 0;
  }

  /** Tallies by mount. */
  byMount(): Array<{ mount: string } & Tally> {
    return [...this.#byMount].map(([mount, tally]) => ({ mount, ...tally }));
  }

  /** Tallies by mount and role (leases without a role are not listed). */
  byRole(): Array<{ mount: string; role: string } & Tally> {
    return [...this.#byRole].flatMap(([mount, roles]) => [...roles].map(([role, tally]) => ({ mount, role, ...tally })));
  }

  #adjust(tracked: Tracked, delta: 1 | -1): void {
    const field = tracked.irrevocable ? "irrevocable" : "active";
    bump(this.#byMount, tracked.mount, field, delta);
    if (tracked.role === null) return;
    let roles = this.#byRole.get(tracked.mount);
    if (!roles) this.#byRole.set(tracked.mount, (roles = new Map()));
    bump(roles, tracked.role, field, delta);
    if (delta < 0 && isEmpty(roles.get(tracked.role))) roles.delete(tracked.role);
    if (roles.size === 0) this.#byRole.delete(tracked.mount);
  }
}

function bump(map: Map<string, Tally>, key: string, field: keyof Tally, delta: number): void {
  let tally = map.get(key);
  if (!tally) map.set(key, (tally = { active: 0, irrevocable: 0 }));
  tally[field] += delta;
  if (isEmpty(tally)) map.delete(key);
}

function isEmpty(tally: Tally | undefined): boolean {
  return !tally || (tally.active === 0 && tally.irrevocable === 0);
}
