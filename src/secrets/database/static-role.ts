/**
 * `<db>/static-roles/<name>`: an existing database user whose password the engine owns and
 * rotates on a period or a cron schedule.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import type { RequestData } from "../../request.js";
import { CronSchedule } from "../../util/cron.js";
import { normalizeStatements } from "./sql-statements.js";
import { validateTemplate } from "./template.js";
import { parseOptionalDuration } from "../../util/ttl.js";
import { optionalBoolean, optionalString, statementList } from "./fields.js";
import { describeCredential, passwordPolicyOf } from "./credential-type.js";

/** The shortest `rotation_period`, as Vault's. */
const MIN_ROTATION_PERIOD_SECONDS = 5;

/** The shortest `rotation_window`, as Vault's: one hour. */
const MIN_ROTATION_WINDOW_SECONDS = 3600;

/** A stored static role with its current credential. */
export interface StaticRole {
  db_name: string;
  username: string;
  /** Seconds between rotations; 0 when `rotation_schedule` is used. */
  rotation_period: number;
  /** A 5-field cron expression (UTC); empty when `rotation_period` is used. */
  rotation_schedule: string;
  rotation_statements: string[];
  /** `rotation_statements` as written, which a read returns (absent in roles stored before: the split form). */
  rotation_statements_given?: string[];
  /**
   * Seconds after each scheduled time (`rotation_schedule` only) within which a rotation may
   * happen; missed (failed, or the engine down), it waits for the next scheduled time. 0 or absent:
   * no window, retried until done.
   */
  rotation_window?: number;
  /** Whether creation left the password as it was (Vault's `skip_import_rotation`). */
  skip_import_rotation?: boolean;
  /** ms since the epoch: the scheduled time the pending rotation belongs to (for `rotation_window`). */
  scheduled_rotation?: number;
  /** The password policy; empty = the connection's. */
  password_policy: string;
  /** The current password (secret). */
  password?: string;
  /** Write-ahead record of a rotation in progress (secret). */
  pending_password?: string;
  /** ms since the epoch. */
  last_vault_rotation?: number;
  /** ms since the epoch: the next rotation (or retry). */
  next_rotation?: number;
  /** Consecutive failed rotations, for the retry backoff. */
  failures?: number;
}

/** The fields `static-roles/:name` reads (anything else is named in the response's warnings). */
export const STATIC_ROLE_FIELDS = [
  "db_name", "username", "rotation_period", "rotation_schedule", "rotation_statements", "password_policy", "rotation_window",
  "skip_import_rotation", "credential_type", "credential_config", "self_managed_password",
] as const;

/**
 * Builds a static role from a write request, over the existing one when updating.
 *
 * @throws InvalidRequestError naming the bad field
 */
export function parseStaticRole(data: RequestData, existing: StaticRole | undefined): StaticRole {
  const username = optionalString(data.username, "username");
  if (existing && username !== undefined && username !== existing.username) {
    throw new InvalidRequestError("username of a static role cannot change; delete the role and create a new one");
  }
  const period = parseOptionalDuration(data.rotation_period, "rotation_period");
  const schedule = optionalString(data.rotation_schedule, "rotation_schedule");
  if (period !== undefined && schedule) throw new InvalidRequestError("give either rotation_period or rotation_schedule, not both");
  if (optionalString(data.self_managed_password, "self_managed_password")) {
    throw new InvalidRequestError("self_managed_password is not supported: the engine rotates static roles through the connection's own user");
  }
  const passwordPolicy = passwordPolicyOf(data);
  const statements = rotationStatements(data.rotation_statements);
  const skip = optionalBoolean(data.skip_import_rotation, "skip_import_rotation");
  if (existing && skip !== undefined && skip !== (existing.skip_import_rotation ?? false)) {
    throw new InvalidRequestError("skip_import_rotation only applies when a static role is created; it cannot change afterwards");
  }
  const role: StaticRole = {
    ...existing,
    db_name: optionalString(data.db_name, "db_name") ?? existing?.db_name ?? "",
    username: username ?? existing?.username ?? "",
    rotation_period: schedule ? 0 : period ?? existing?.rotation_period ?? 0,
    rotation_schedule: period !== undefined ? "" : schedule ?? existing?.rotation_schedule ?? "",
    rotation_statements: statements?.split ?? existing?.rotation_statements ?? [],
    rotation_statements_given: statements?.given ?? existing?.rotation_statements_given,
    password_policy: passwordPolicy ?? existing?.password_policy ?? "",
    rotation_window: parseOptionalDuration(data.rotation_window, "rotation_window") ?? (period !== undefined ? 0 : existing?.rotation_window ?? 0),
    skip_import_rotation: skip ?? existing?.skip_import_rotation ?? false,
  };
  if (!role.db_name) throw new InvalidRequestError("db_name is required: the name of a connection under config/");
  if (!role.username) throw new InvalidRequestError("username is required: the existing database user to manage");
  if (role.rotation_schedule) CronSchedule.parse(role.rotation_schedule);
  else if (role.rotation_period < MIN_ROTATION_PERIOD_SECONDS) {
    throw new InvalidRequestError(`rotation_period (at least ${MIN_ROTATION_PERIOD_SECONDS}s) or rotation_schedule is required`);
  }
  if (role.rotation_window) {
    if (!role.rotation_schedule) throw new InvalidRequestError("rotation_window applies only with rotation_schedule");
    if (role.rotation_window < MIN_ROTATION_WINDOW_SECONDS) throw new InvalidRequestError("rotation_window must be at least 1h");
  }
  return role;
}

function rotationStatements(value: unknown): { given: string[]; split: string[] } | undefined {
  const given = statementList(value, "rotation_statements");
  if (given === undefined) return undefined;
  const split = normalizeStatements(given);
  for (const statement of split) validateTemplate(statement, ["name", "username", "password"], "rotation_statements");
  return { given: typeof given === "string" ? (given === "" ? [] : [given]) : [...given], split };
}

/**
 * Whether a rotation that was due at `role.scheduled_rotation` may still happen at `now`: always,
 * unless a `rotation_window` has passed since that scheduled time.
 */
export function withinRotationWindow(role: StaticRole, now: number): boolean {
  if (!role.rotation_window || !role.rotation_schedule || role.scheduled_rotation === undefined) return true;
  return now <= role.scheduled_rotation + role.rotation_window * 1000;
}

/** When the rotation after one at `from` is due. */
export function nextRotation(role: StaticRole, from: number): number {
  if (role.rotation_schedule) return CronSchedule.parse(role.rotation_schedule).next(from) ?? Number.MAX_SAFE_INTEGER;
  return from + role.rotation_period * 1000;
}

/** The role as a read returns it (never the password). */
export function describeStaticRole(role: StaticRole, now: number): Record<string, unknown> {
  return {
    db_name: role.db_name,
    username: role.username,
    rotation_period: role.rotation_period,
    rotation_schedule: role.rotation_schedule,
    rotation_window: role.rotation_window ?? 0,
    rotation_statements: role.rotation_statements_given ?? role.rotation_statements,
    password_policy: role.password_policy,
    skip_import_rotation: role.skip_import_rotation ?? false,
    ...describeCredential(role.password_policy),
    last_vault_rotation: isoOrNull(role.last_vault_rotation),
    ttl: secondsUntil(role.next_rotation, now),
  };
}

/**
 * `static-creds/<name>`: the current password and when it changes next.
 *
 * @throws InvalidRequestError when no password was ever set (`skip_import_rotation`, not yet rotated)
 */
export function describeStaticCredentials(role: StaticRole, now: number): Record<string, unknown> {
  if (role.password === undefined) {
    throw new InvalidRequestError("this static role's password has not been rotated yet (skip_import_rotation); it is set at the next scheduled rotation, or now with rotate-role");
  }
  return {
    username: role.username,
    password: role.password,
    last_vault_rotation: isoOrNull(role.last_vault_rotation),
    ttl: secondsUntil(role.next_rotation, now),
    ...(role.rotation_schedule
      ? { rotation_schedule: role.rotation_schedule, rotation_window: role.rotation_window ?? 0 }
      : { rotation_period: role.rotation_period }),
  };
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function secondsUntil(ms: number | undefined, now: number): number {
  return ms === undefined ? 0 : Math.max(0, Math.floor((ms - now) / 1000));
}
