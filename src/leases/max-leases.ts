/**
 * The `max_leases` setting of roles and mounts.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";

/**
 * Reads `max_leases`: a non-negative integer (number or numeric string); 0 means no limit.
 * Returns `undefined` when the field is absent.
 *
 * @throws InvalidRequestError for anything else
 */
export function parseOptionalMaxLeases(value: unknown, field = "max_leases"): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 0) {
    throw new InvalidRequestError(`${field} must be a whole number of leases, 0 for no limit`);
  }
  return number;
}
