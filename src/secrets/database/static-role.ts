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
import { optionalString, statementList } from "./fields.js";

/** The shortest `rotation_period`, as Vault's. */
const MIN_ROTATION_PERIOD_SECONDS = 5;

/** A stored static role with its current credential. */
export interface StaticRole {
  db_name: string;
  username: string;
  /** Seconds between rotations; 0 when `rotation_schedule` is used. */
  rotation_period: number;
  /** A 5-field cron expression (UTC); empty when `rotation_period` is used. */
  rotation_schedule: string;
  rotation_statements: string[];
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
  "db_name", "username", "rotation_period", "rotation_schedule", "rotation_statements", "password_policy",
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
  const role: StaticRole = {
    ...existing,
    db_name: optionalString(data.db_name, "db_name") ?? existing?.db_name ?? "",
    username: username ?? existing?.username ?? "",
    rotation_period: schedule ? 0 : period ?? existing?.rotation_period ?? 0,
    rotation_schedule: period !== undefined ? "" : schedule ?? existing?.rotation_schedule ?? "",
    rotation_statements: rotationStatements(data.rotation_statements) ?? existing?.rotation_statements ?? [],
    password_policy: optionalString(data.password_policy, "password_policy") ?? existing?.password_policy ?? "",
  };
  if (!role.db_name) throw new InvalidRequestError("db_name is required: the name of a connection under config/");
  if (!role.username) throw new InvalidRequestError("username is required: the existing database user to manage");
  if (role.rotation_schedule) CronSchedule.parse(role.rotation_schedule);
  else if (role.rotation_period < MIN_ROTATION_PERIOD_SECONDS) {
    throw new InvalidRequestError(`rotation_period (at least ${MIN_ROTATION_PERIOD_SECONDS}s) or rotation_schedule is required`);
  }
  return role;
}

function rotationStatements(value: unknown): string[] | undefined {
  const given = statementList(value, "rotation_statements");
  if (given === undefined) return undefined;
  const statements = normalizeStatements(given);
  for (const statement of statements) validateTemplate(statement, ["name", "username", "password"], "rotation_statements");
  return statements;
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
    rotation_statements: role.rotation_statements,
    password_policy: role.password_policy,
    credential_type: "password",
    last_vault_rotation: isoOrNull(role.last_vault_rotation),
    ttl: secondsUntil(role.next_rotation, now),
  };
}

/** `static-creds/<name>`: the current password and when it changes next. */
export function describeStaticCredentials(role: StaticRole, now: number): Record<string, unknown> {
  return {
    username: role.username,
    password: role.password,
    last_vault_rotation: isoOrNull(role.last_vault_rotation),
    ttl: secondsUntil(role.next_rotation, now),
    ...(role.rotation_schedule ? { rotation_schedule: role.rotation_schedule } : { rotation_period: role.rotation_period }),
  };
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function secondsUntil(ms: number | undefined, now: number): number {
  return ms === undefined ? 0 : Math.max(0, Math.floor((ms - now) / 1000));
}
