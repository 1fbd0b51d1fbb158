/**
 * Durations as Vault accepts them, and the TTL arithmetic every lease goes through.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * The longest duration accepted anywhere (a TTL, a max TTL, a period, an increment): 100 years
 * (876 000 h, 3 153 600 000 s). Far above any useful lease, far below the point where a time stops
 * being a valid date, so every duration the engine keeps can be added to now and printed.
 */
export const MAX_DURATION_SECONDS = 100 * 365 * 86_400;

/**
 * Parses a duration into whole seconds.
 *
 * Accepts a non-negative number of seconds (`3600`), a numeric string (`"3600"`) or Go-style unit
 * strings as Vault does: `"1h"`, `"30m"`, `"1h30m"`, `"768h0m0s"`, `"1.5h"`, `"7d"`. Fractions of a
 * second round down. `undefined`, `null` and `""` mean "not set" and return `undefined`.
 *
 * @param field - the field name, used in the error message
 * @throws InvalidRequestError when the value is not a valid duration, or is longer than
 *   {@link MAX_DURATION_SECONDS}
 */
export function parseDuration(value: unknown, field: string): number {
  const seconds = parseOptionalDuration(value, field);
  if (seconds === undefined) throw new InvalidRequestError(`${field}: a duration is required`);
  return seconds;
}

/** Like {@link parseDuration}, but `undefined`/`null`/`""` give `undefined` instead of an error. */
export function parseOptionalDuration(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "number") return checkSeconds(value, field, value);
  if (typeof value !== "string") throw invalidDuration(field, value);
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return checkSeconds(Number(text), field, value);
  return checkSeconds(sumUnitParts(text, field), field, value);
}

function sumUnitParts(text: string, field: string): number {
  if (text.length === 0) throw invalidDuration(field, text);
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const start = DURATION_PART.lastIndex;
    const match = DURATION_PART.exec(text);
    if (!match || match.index !== start) throw invalidDuration(field, text);
    const [, amount, unit] = match as unknown as [string, string, string];
    total += unit === "ms" ? Number(amount) / 1000 : Number(amount) * UNIT_SECONDS[unit]!;
  }
  return total;
}

function checkSeconds(seconds: number, field: string, original: unknown): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw invalidDuration(field, original);
  if (seconds > MAX_DURATION_SECONDS) {
    throw new InvalidRequestError(`${field}: the longest duration accepted is ${MAX_DURATION_SECONDS} seconds (876000h, 100 years)`);
  }
  return Math.floor(seconds);
}

function invalidDuration(field: string, value: unknown): InvalidRequestError {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : typeof value;
  return new InvalidRequestError(
    `${field}: ${shown} is not a duration; use seconds (3600) or a string such as "1h", "30m" or "1h30m"`,
  );
}

/** Vault's system-wide default and maximum lease TTL: 32 days (768h). */
export const SYSTEM_DEFAULT_TTL_SECONDS = 32 * 86_400;
/** Vault's system-wide maximum lease TTL: 32 days (768h). */
export const SYSTEM_MAX_TTL_SECONDS = 32 * 86_400;

/** The TTL layers that decide a lease's duration, in seconds; 0 or undefined means "not set". */
export interface TtlLayers {
  /** A TTL the request asked for (e.g. a renew increment). */
  requested?: number;
  /** The role's (or backend's) default TTL. */
  roleDefault?: number;
  /** The role's maximum TTL. */
  roleMax?: number;
  /** The mount's `default_lease_ttl`. */
  mountDefault?: number;
  /** The mount's `max_lease_ttl`. */
  mountMax?: number;
}

/** The outcome of {@link calculateTtl}. */
export interface TtlDecision {
  /** The TTL to grant, in seconds. */
  ttl: number;
  /** The effective maximum TTL, in seconds. */
  maxTtl: number;
  /** Set when the TTL was capped by the maximum. */
  warning?: string;
}

/**
 * Decides a lease's TTL the way Vault does: the requested TTL, else the role's default, else the
 * mount's default, else the system default (32 days); capped by the role's max (itself capped by the
 * mount's max, else the system max), with a warning when capped — never more than the maximum.
 */
export function calculateTtl(layers: TtlLayers): TtlDecision {
  const mountMax = positive(layers.mountMax) ?? SYSTEM_MAX_TTL_SECONDS;
  const roleMax = positive(layers.roleMax);
  const maxTtl = roleMax === undefined ? mountMax : Math.min(roleMax, mountMax);
  const ttl =
    positive(layers.requested) ??
    positive(layers.roleDefault) ??
    positive(layers.mountDefault) ??
    SYSTEM_DEFAULT_TTL_SECONDS;
  if (ttl <= maxTtl) return { ttl, maxTtl };
  return {
    ttl: maxTtl,
    maxTtl,
    warning: `TTL of ${formatDuration(ttl)} exceeded the effective max_ttl of ${formatDuration(maxTtl)}; TTL value is capped accordingly`,
  };
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/** Formats seconds the way Vault prints durations: `"1h0m0s"`, `"768h0m0s"`, `"45s"`. */
export function formatDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
