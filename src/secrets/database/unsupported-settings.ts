/**
 * Settings Vault documents that this engine does not offer: each is accepted at its default and
 * refused otherwise with a 400 that names it and says why — never taken and dropped.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import type { RequestData } from "../../request.js";

/** A documented setting that is refused unless given its default. */
export interface UnsupportedSetting {
  field: string;
  /** Whether `value` is the default (absent is always fine). */
  isDefault(value: unknown): boolean;
  why: string;
}

const empty = (value: unknown) => value === "" || value === null;
const falsy = (value: unknown) => value === false || value === "false" || value === null;
const zero = (value: unknown) => value === 0 || value === "0" || value === "" || value === "0s" || value === null;

/** The connection config's (PostgreSQL plugin and Vault Enterprise's automated root rotation). */
export const UNSUPPORTED_CONNECTION_SETTINGS: readonly UnsupportedSetting[] = [
  { field: "auth_type", isDefault: empty, why: "only password authentication is supported (gcp_iam is not)" },
  { field: "service_account_json", isDefault: empty, why: "Google Cloud IAM authentication is not supported" },
  { field: "use_private_ip", isDefault: falsy, why: "Google Cloud SQL connectors are not supported" },
  { field: "self_managed", isDefault: falsy, why: "rootless (self-managed) connections are not supported" },
  { field: "rotation_period", isDefault: zero, why: "automated root rotation is not supported; call rotate-root" },
  { field: "rotation_schedule", isDefault: empty, why: "automated root rotation is not supported; call rotate-root" },
  { field: "rotation_window", isDefault: zero, why: "automated root rotation is not supported; call rotate-root" },
  { field: "disable_automated_rotation", isDefault: () => true, why: "" },
];

/** The field names of `settings`, for a route's `fields`. */
export function fieldsOf(settings: readonly UnsupportedSetting[]): string[] {
  return settings.map((setting) => setting.field);
}

/**
 * @throws InvalidRequestError naming the first setting given a value other than its default
 */
export function refuseUnsupported(data: RequestData, settings: readonly UnsupportedSetting[]): void {
  for (const { field, isDefault, why } of settings) {
    const value = data[field];
    if (value !== undefined && !isDefault(value)) throw new InvalidRequestError(`${field} is not supported: ${why}`);
  }
}
