/**
 * Reading typed fields out of request data, with errors that name the field.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";

/** A string field, or `undefined` when absent. */
export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new InvalidRequestError(`${field} must be a string`);
  return value;
}

/** A list given as an array of strings or a comma-separated string (as Vault accepts). */
export function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null || value === "") return [];
  if (typeof value === "string") return value.split(",").map((item) => item.trim()).filter(Boolean);
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value.map((item) => item.trim()).filter(Boolean);
  throw new InvalidRequestError(`${field} must be a list of strings or a comma-separated string`);
}

/** Statements given as a string or a list of strings. */
export function statementList(value: unknown, field: string): string | string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  throw new InvalidRequestError(`${field} must be a string or a list of strings`);
}

/** A boolean field (`true`/`false` or their strings), or `undefined` when absent. */
export function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw new InvalidRequestError(`${field} must be true or false`);
}

/** A field restricted to `choices`, or `undefined` when absent. */
export function optionalChoice<T extends string>(value: unknown, field: string, choices: readonly T[]): T | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !choices.includes(value as T)) {
    throw new InvalidRequestError(`${field} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`);
  }
  return value as T;
}
