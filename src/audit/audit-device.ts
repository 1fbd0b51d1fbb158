/**
 * Audit devices: where audit entries go.
 *
 * @module
 */
import type { AuditEntry } from "./audit-entry.js";

/**
 * A destination the host provides in code for `stream` audit devices (see
 * `EngineOptions.auditSinks`): a function called with each entry, or a Node `Writable` (or anything
 * with its `write(chunk, callback)`), which receives one JSON line per entry.
 *
 * A request completes only after its entry is accepted: the function's promise resolved, or the
 * writable's callback called without an error. A throw, a rejection or a callback error counts as
 * a failed write (fail closed).
 *
 * @example
 * ```ts
 * const entries: AuditEntry[] = [];
 * await Engine.open({ auditSinks: { memory: (entry) => void entries.push(entry) } });
 * await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
 * ```
 */
export type AuditSink = ((entry: AuditEntry) => void | Promise<void>) | AuditWritable;

/** The slice of a Node `Writable` a stream audit device uses. */
export interface AuditWritable {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
}

/** An enabled audit device. */
export interface AuditDevice {
  /** Records one entry; resolves once the entry is handed over (to the OS, or to the sink). */
  write(entry: AuditEntry): Promise<void>;
  /** Releases files; called when the device is disabled and when the engine closes. */
  close?(): Promise<void>;
}

/** A device that cannot record (its file could not be opened, its sink is missing): every write fails. */
export class UnavailableAuditDevice implements AuditDevice {
  readonly #reason: string;

  /** @param reason - why the device cannot record, for the error */
  constructor(reason: string) {
    this.#reason = reason;
  }

  async write(): Promise<void> {
    throw new Error(this.#reason);
  }
}
