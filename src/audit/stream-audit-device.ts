/**
 * The `stream` audit device: entries handed to a sink the host provides in code.
 *
 * @module
 */
import type { AuditDevice, AuditSink, AuditWritable } from "./audit-device.js";
import type { AuditEntry } from "./audit-entry.js";

/** Hands each entry to a host function, or one JSON line per entry to a writable. */
export class StreamAuditDevice implements AuditDevice {
  readonly #sink: AuditSink;

  /** @param sink - the host's function or writable */
  constructor(sink: AuditSink) {
    this.#sink = sink;
  }

  async write(entry: AuditEntry): Promise<void> {
    if (typeof this.#sink === "function") {
      await this.#sink(structuredClone(entry));
      return;
    }
    await writeLine(this.#sink, `${JSON.stringify(entry)}\n`);
  }
}

function writeLine(writable: AuditWritable, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    writable.write(line, (error) => (error ? reject(error) : resolve()));
  });
}
