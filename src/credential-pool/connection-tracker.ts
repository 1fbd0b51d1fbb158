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
  /** The open connections of each lease (a connection leaves its set at its `end`). */
  readonly #open = new Map<string, Set<TrackedConnection>>();
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
    for (const connections of this.#open.values()) total += connections.size;
    return total;
  }

  /** Records a connection made with `leaseId`'s credentials; it counts until its `end`. */
  opened(connection: TrackedConnection, leaseId: string): void {
    this.#leaseOf.set(connection, leaseId);
    let connections = this.#open.get(leaseId);
    if (!connections) this.#open.set(leaseId, (connections = new Set()));
    connections.add(connection);
    connection.once("end", () => this.#closed(connection, leaseId));
  }

  /** The open connections made with `leaseId`'s credentials. */
  connectionsOf(leaseId: string): readonly TrackedConnection[] {
    return [...(this.#open.get(leaseId) ?? [])];
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
    if (!this.#open.get(leaseId)?.size) this.#drained(leaseId);
  }

  /** Resolves once no connection is open (after the pool has ended them all). */
  allClosed(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #closed(connection: TrackedConnection, leaseId: string): void {
    const connections = this.#open.get(leaseId);
    connections?.delete(connection);
    if (connections && connections.size === 0) {
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
