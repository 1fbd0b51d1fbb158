/**
 * `sys/remount`: moving a mount to a new path with its leases, as a migration recorded in storage
 * before anything moves, so that a crash mid-way is finished by the next engine that opens the
 * storage, and `sys/remount/status/:migration_id` answers how it went.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { JsonStore } from "../storage/json-store.js";
import type { Clock } from "../util/clock.js";
import { uuid } from "../util/random.js";
import { describeError, type Logger } from "../observability/logger.js";
import type { MountEntry } from "./mount-entry.js";
import { normalizeMountPath } from "./mount-table.js";

/** Storage prefix of the migration records (outside `core/mounts/`, which config sync watches). */
export const MIGRATION_PREFIX = "core/remount/";

/** A migration's status, with Vault's words. */
export type MigrationStatus = "in-progress" | "success" | "failure";

/** One remount, as stored. */
export interface MigrationRecord {
  /** The id `sys/remount` answered (a UUID). */
  migration_id: string;
  /** The old mount path (normalized, e.g. `"db/"`). */
  source_mount: string;
  /** The new mount path (e.g. `"team/db/"`). */
  target_mount: string;
  /** The moved mount's UUID: a resumed migration moves only that mount. */
  mount_uuid: string;
  /** How far it got. */
  status: MigrationStatus;
  /** When it started, RFC 3339. */
  start_time: string;
  /** When it ended (success or failure), RFC 3339. */
  end_time?: string;
  /** Leases moved to the new path. */
  leases_moved?: number;
  /** Why it failed (sanitized), if it did. */
  error?: string;
}

/** What a migration works with. */
export interface MountMigrationDeps {
  /** The engine's core storage view. */
  core: JsonStore;
  /** Checks a move (the mount lifecycle's `assertRemountable`). */
  assertRemountable: (from: string, to: string) => MountEntry;
  /** Moves the mount entry and its backend (idempotent; the lifecycle's `remount`). */
  moveMount: (uuid: string, from: string, to: string) => Promise<MountEntry>;
  /** Moves the leases under a mount path to another (idempotent; the lease manager's). */
  moveLeases: (from: string, to: string) => Promise<{ moved: number }>;
  /** The engine's clock (the record's times). */
  clock: Clock;
  /** Where interrupted and failed migrations are reported. */
  logger: Logger;
  /** Told of each migration that succeeded (the `mount.remounted` event). */
  onRemounted?: (record: MigrationRecord) => void;
}

/**
 * Remounts, recorded. The order makes it crash-safe: the migration record (`in-progress`), then
 * the mount entry (created at the new path, then removed at the old one — its UUID, hence its
 * storage, stays), then the leases (each written under its new id before the old record goes),
 * then `success`. Every step is idempotent, and {@link MountMigrations.resume} redoes those of a
 * migration still `in-progress` at open. Leases stay revocable throughout: a lease finds its
 * backend by its mount's UUID.
 */
export class MountMigrations {
  readonly #deps: MountMigrationDeps;
  readonly #records: JsonStore;

  /** @param deps - storage, the mount lifecycle's and the lease manager's moves, clock, logger */
  constructor(deps: MountMigrationDeps) {
    this.#deps = deps;
    this.#records = deps.core.sub(MIGRATION_PREFIX);
  }

  /**
   * Moves the mount at `from` to `to` with its leases and resolves once done (Vault queues the
   * move and answers at once; the status reads the same either way).
   *
   * @throws InvalidRequestError when the move is refused (built-in mount, taken or nested target…)
   */
  async remount(fromRaw: unknown, toRaw: unknown): Promise<MigrationRecord> {
    const from = normalizeMountPath(requirePath(fromRaw, "from"));
    const to = normalizeMountPath(requirePath(toRaw, "to"));
    const entry = this.#deps.assertRemountable(from, to);
    const record: MigrationRecord = {
      migration_id: uuid(),
      source_mount: from,
      target_mount: to,
      mount_uuid: entry.uuid,
      status: "in-progress",
      start_time: new Date(this.#deps.clock.now()).toISOString(),
    };
    await this.#records.put(record.migration_id, record);
    return this.#run(record, true);
  }

  /** The migration's record, if there is one. */
  async status(id: string): Promise<MigrationRecord | undefined> {
    return this.#records.get<MigrationRecord>(id);
  }

  /** Finishes every migration a crash left `in-progress` (at open, in the background). */
  async resume(): Promise<void> {
    for (const id of await this.#records.list()) {
      const record = await this.#records.get<MigrationRecord>(id);
      if (record?.status !== "in-progress") continue;
      this.#deps.logger.warn({ migration_id: id, from: record.source_mount, to: record.target_mount }, "finishing a remount interrupted by a restart");
      await this.#run(record, false).catch(() => undefined); // recorded as a failure
    }
  }

  /**
   * The mount moves, then its leases. A mount that cannot move (gone, or its path taken) fails the
   * migration; a storage failure half-way (of the entry or of the leases) leaves it `in-progress`,
   * so the next open finishes it — the leases left behind stay revocable meanwhile.
   */
  async #run(record: MigrationRecord, rethrow: boolean): Promise<MigrationRecord> {
    try {
      await this.#deps.moveMount(record.mount_uuid, record.source_mount, record.target_mount);
    } catch (err) {
      // Refused (the mount is gone, or its new path taken): the migration failed. Anything else
      // (storage) may have left the entry half-moved: it stays in-progress, finished at next open.
      const refused = err instanceof InvalidRequestError;
      this.#deps.logger.error({ migration_id: record.migration_id, error: describeError(err) }, refused ? "remount refused" : "remount interrupted; finished at the next open");
      if (refused) await this.#finish(record, { status: "failure", error: err.message });
      if (rethrow) throw err;
      return record;
    }
    try {
      const { moved } = await this.#deps.moveLeases(record.source_mount, record.target_mount);
      const done = await this.#finish(record, { status: "success", leases_moved: moved });
      this.#deps.onRemounted?.(done);
      return done;
    } catch (err) {
      this.#deps.logger.error({ migration_id: record.migration_id, error: describeError(err) }, "remount: moving the leases failed; finished at the next open");
      if (rethrow) throw err;
      return record;
    }
  }

  async #finish(record: MigrationRecord, outcome: Partial<MigrationRecord>): Promise<MigrationRecord> {
    const done: MigrationRecord = { ...record, ...outcome, end_time: new Date(this.#deps.clock.now()).toISOString() };
    await this.#records.put(done.migration_id, done);
    return done;
  }
}

function requirePath(value: unknown, field: "from" | "to"): string {
  if (typeof value !== "string" || value.trim() === "") throw new InvalidRequestError(`both 'from' and 'to' must be given as mount paths; '${field}' is missing`);
  if (value !== value.trim()) throw new InvalidRequestError(`'${field}' path cannot contain leading or trailing whitespace`);
  return value;
}
