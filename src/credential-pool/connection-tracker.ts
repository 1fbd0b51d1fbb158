/**
 * Which lease each physical connection logged in with, and when a replaced lease's last
 * connection has closed — the moment its lease can be revoked.
 *
 * @module
 */

/** The slice of a pg client the tracker watches: its `end` (the connection is gone, or never came up). */
export interface TrackedConnection {
  once(event: "end", listener: () => void): unknown;
}

/**
 * Counts open connections per lease. A lease is *retired* once replaced; when a retired lease has
 * no connection left, `onDrained` is called once with its id.
 */
export class ConnectionTracker {
  readonly #leaseOf = new WeakMap<TrackedConnection, string>();
  readonly #open = new Map<string, number>();
  readonly #retired = new Set<string>();
  readonly #onDrained: (leaseId: string) => void;
  #idle: Array<() => void> = [];

  /** @param onDrained - called once per retired lease, when its last connection has closed */
  constructor(onDrained: (leaseId: string) => void) {
    this.#onDrained = onDrained;
  }

  /** How many connections are open (or opening), over every lease. */
  get size(): number {
    let total = 0;
    for (const count of this.#open.values()) total += count;
    return total;
  }

  /** Records a connection made with `leaseId`'s credentials; it counts until its `end`. */
  opened(connection: TrackedConnection, leaseId: string): void {
    this.#leaseOf.set(connection, leaseId);
    this.#open.set(leaseId, (this.#open.get(leaseId) ?? 0) + 1);
    connection.once("end", () => this.#closed(leaseId));
  }

  /** The lease a connection logged in with. */
  leaseOf(connection: TrackedConnection): string | undefined {
    return this.#leaseOf.get(connection);
  }

  /** Whether a connection's lease was replaced: it closes instead of going back to the pool. */
  isRetired(connection: TrackedConnection): boolean {
    const leaseId = this.#leaseOf.get(connection);
    return leaseId !== undefined && this.#retired.has(leaseId);
  }

  /** Marks a replaced lease; drained at once when no connection uses it. */
  retire(leaseId: string): void {
    this.#retired.add(leaseId);
    if (!this.#open.get(leaseId)) this.#drained(leaseId);
  }

  /** Resolves once no connection is open (after the pool has ended them all). */
  allClosed(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #closed(leaseId: string): void {
    const left = (this.#open.get(leaseId) ?? 1) - 1;
    if (left > 0) this.#open.set(leaseId, left);
    else {
      this.#open.delete(leaseId);
      if (this.#retired.has(leaseId)) this.#drained(leaseId);
    }
    if (this.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  #drained(leaseId: string): void {
    this.#retired.delete(leaseId);
    this.#onDrained(leaseId);
  }
}
