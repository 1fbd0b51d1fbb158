/**
 * Revocations waiting for a database that does not answer: one gate per database (a mount and the
 * backend's revocation target, e.g. a connection config), so that an outage costs one connection
 * attempt per retry instead of one per lease, and no lease spends its attempts on it.
 *
 * @module
 */
import type { Clock, TimerHandle } from "../util/clock.js";

/** What the gates do when a database may be back, and when it is. */
export interface OutageHandlers {
  /** Tries one waiting lease's revocation past the gate (its outcome opens the gate, or not). Never rejects. */
  probe(id: string): Promise<void>;
  /** The database answered: revoke these waiting leases now. Never rejects. */
  resume(ids: string[]): Promise<void>;
}

/** The tries' timing: the first after `initialMs`, doubling up to `maxMs`. */
export interface OutageTiming {
  initialMs: number;
  maxMs: number;
}

interface Gate {
  /** Leases waiting for the database. */
  parked: Set<string>;
  /** Tries that found it still unreachable. */
  misses: number;
  timer?: TimerHandle;
  probing: boolean;
  /** Once open: the resumption of its parked leases. */
  resumed?: Promise<void>;
}

/**
 * The gates of the databases found unreachable. A revocation that fails because its database is
 * unreachable parks its lease behind the database's gate, closing it; later revocations of that
 * database park at once without trying. One parked lease is tried again (a probe) after a backoff
 * of `initialMs` doubling up to `maxMs`; the gate opens — and every parked lease resumes — when
 * anything succeeds against that database (the probe, another revocation, a credential creation,
 * a connection check) or the database refuses a statement (it answers, then).
 */
export class OutageGates {
  readonly #clock: Clock;
  readonly #timing: OutageTiming;
  readonly #handlers: OutageHandlers;
  readonly #gates = new Map<string, Gate>();
  #closed = false;

  /** @param clock - the engine's clock (probes are timers on it) */
  constructor(clock: Clock, timing: OutageTiming, handlers: OutageHandlers) {
    this.#clock = clock;
    this.#timing = timing;
    this.#handlers = handlers;
  }

  /** Leases waiting behind a gate, all gates together. */
  get parked(): number {
    let count = 0;
    for (const gate of this.#gates.values()) count += gate.parked.size;
    return count;
  }

  /** Whether revocations of `key` must wait (its database was found unreachable and has not answered since). */
  isClosed(key: string): boolean {
    return this.#gates.has(key);
  }

  /** Parks lease `id` behind the gate of `key`, closing it if it was open. */
  park(key: string, id: string): void {
    if (this.#closed) return;
    let gate = this.#gates.get(key);
    if (!gate) this.#gates.set(key, (gate = { parked: new Set(), misses: 0, probing: false }));
    gate.parked.add(id);
    if (!gate.timer && !gate.probing) this.#arm(key, gate);
  }

  /** The database of `key` answered: the gate opens and its parked leases resume. */
  open(key: string): void {
    const gate = this.#gates.get(key);
    if (!gate) return;
    this.#gates.delete(key);
    if (gate.timer) this.#clock.clearTimer(gate.timer);
    if (gate.parked.size > 0) gate.resumed = this.#handlers.resume([...gate.parked]);
  }

  /** Stops every probe; parked leases stay due in storage (the next engine revokes them). */
  close(): void {
    this.#closed = true;
    for (const gate of this.#gates.values()) if (gate.timer) this.#clock.clearTimer(gate.timer);
    this.#gates.clear();
  }

  #arm(key: string, gate: Gate): void {
    const delay = Math.min(this.#timing.initialMs * 2 ** gate.misses, this.#timing.maxMs);
    gate.timer = this.#clock.setTimer(() => this.#probe(key, gate), delay); // ManualClock awaits the probe and what it resumes
  }

  async #probe(key: string, gate: Gate): Promise<void> {
    gate.timer = undefined;
    const id = gate.parked.values().next().value;
    if (id === undefined) {
      this.#gates.delete(key);
      return;
    }
    gate.parked.delete(id);
    gate.probing = true;
    try {
      await this.#handlers.probe(id); // parks it again if the database is still unreachable
    } finally {
      gate.probing = false;
      if (this.#gates.get(key) === gate && !this.#closed) {
        gate.misses++;
        if (gate.parked.size === 0) this.#gates.delete(key);
        else if (!gate.timer) this.#arm(key, gate);
      }
    }
    await gate.resumed;
  }
}
