/**
 * @module
 */
import type { Clock } from "../util/clock.js";
import type { AuditEntry } from "./audit-entry.js";
import type { AuditHasher } from "./audit-hasher.js";

/**
 * What one request's audit trail needs of the audit devices: whether any is enabled, the keyed
 * hash and clock their entries use, and recording an entry on all of them. `AuditBroker`
 * implements it; `RequestAudit` depends on this, not on the broker, so the two do not point at
 * each other.
 */
export interface AuditRecorder {
  /** Whether any device is enabled (then every request is recorded). */
  readonly active: boolean;
  /** The keyed hash every device's entries use. */
  readonly hasher: AuditHasher;
  /** The clock entries are stamped with. */
  readonly clock: Clock;
  /**
   * Records one entry on every device; `build(hmacAccessor)` builds it for devices that do or do
   * not hash accessors.
   *
   * @throws AuditFailedError when no device accepted the entry
   */
  record(build: (hmacAccessor: boolean) => AuditEntry, what: string): Promise<void>;
}
