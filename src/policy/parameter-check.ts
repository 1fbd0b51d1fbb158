/**
 * Parameter constraints (`required_parameters`, `denied_parameters`, `allowed_parameters`) checked
 * against a request's data, in Vault's order and with Vault's value matching.
 *
 * @module
 */
import type { Permissions } from "./permissions.js";
import { POLICY_NAME_PARAMETERS, policyNameItems } from "./policy-names.js";

/**
 * Whether `data` satisfies the parameter constraints of `permissions`:
 *
 * 1. every required parameter is present (Vault looks up the lower-cased name as written, so data
 *    keys must be lower-case to satisfy it);
 * 2. a request without data is allowed;
 * 3. a `"*"` denied key denies any data; a denied parameter whose value matches (an empty list
 *    matches every value) denies;
 * 4. no allowed parameters, or only `"*"`, allows; otherwise every parameter must be allowed by
 *    name (or by `"*"`) and, when listed by name, have a matching value.
 *
 * The value of a policy-name parameter (`policies`, `token_policies`, a token role's policy
 * lists) is matched as the names the engine will store (split, trimmed, lower-cased: see
 * `policy-names.ts`), as current Vault does, so `ADMIN` or `" x, Admin"` cannot slip past a
 * constraint on `admin`.
 */
export function parametersAllowed(permissions: Permissions, data: Readonly<Record<string, unknown>> | undefined): boolean {
  for (const name of permissions.requiredParameters) {
    if (data === undefined || !Object.hasOwn(data, name.toLowerCase())) return false;
  }
  if (data === undefined) return true;
  const keys = Object.keys(data);
  if (keys.length === 0) return true;
  return !isDenied(permissions.deniedParameters, data, keys) && isAllowed(permissions.allowedParameters, data, keys);
}

function isDenied(denied: Map<string, unknown[]>, data: Readonly<Record<string, unknown>>, keys: string[]): boolean {
  if (denied.size === 0) return false;
  if (denied.has("*")) return true;
  return keys.some((key) => {
    const name = key.toLowerCase();
    const values = denied.get(name);
    return values !== undefined && valueInDeniedList(matchedValue(name, data[key]), values);
  });
}

function isAllowed(allowed: Map<string, unknown[]>, data: Readonly<Record<string, unknown>>, keys: string[]): boolean {
  if (allowed.size === 0) return true;
  const allowsAnyName = allowed.has("*");
  if (allowed.size === 1 && allowsAnyName) return true;
  return keys.every((key) => {
    const name = key.toLowerCase();
    const values = allowed.get(name);
    if (values === undefined) return allowsAnyName;
    return valueInAllowedList(matchedValue(name, data[key]), values);
  });
}

/** The value a constraint on parameter `name` (lower-cased) judges: for a policy-name parameter, the names as stored. */
function matchedValue(name: string, value: unknown): unknown {
  return POLICY_NAME_PARAMETERS.has(name) ? (policyNameItems(value) ?? value) : value;
}

/**
 * An allowed value: any value when the list is empty; a value in the list; or — because Vault
 * cannot tell a list field from a string field — a list whose every element is in the list, or a
 * comma-separated string whose every part is.
 */
function valueInAllowedList(value: unknown, list: unknown[]): boolean {
  if (list.length === 0 || valueInList(value, list)) return true;
  const parts = partsOf(value);
  return parts !== undefined && parts.every((part) => valueInList(part, list));
}

/** A denied value: any value when the list is empty; a value in the list; a list or comma-separated string any part of which is. */
function valueInDeniedList(value: unknown, list: unknown[]): boolean {
  if (list.length === 0 || valueInList(value, list)) return true;
  const parts = partsOf(value);
  return parts !== undefined && parts.some((part) => valueInList(part, list));
}

/** The elements of a list value, or the trimmed comma-separated parts of a string (none for ""). */
function partsOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return value === "" ? [] : value.split(",").map((part) => part.trim());
  return undefined;
}

function valueInList(value: unknown, list: unknown[]): boolean {
  return list.some((element) => valueMatches(element, value));
}

function valueMatches(element: unknown, value: unknown): boolean {
  if (element === null || element === undefined || value === null || value === undefined) {
    return (element ?? null) === (value ?? null);
  }
  if (typeof element === "string") return typeof value === "string" && globMatches(element, value);
  return deepEqual(element, value);
}

/**
 * Vault's value glob: a leading `*` matches any start, a trailing `*` any end, both any substring.
 * A lone `"*"` is too short to be a glob and matches only the string `"*"`, as in Vault.
 */
export function globMatches(glob: string, value: string): boolean {
  if (glob.length < 2) return glob === value;
  const leading = glob.startsWith("*");
  const trailing = glob.endsWith("*");
  if (leading && trailing) return value.includes(glob.slice(1, -1));
  if (leading) return value.endsWith(glob.slice(1));
  if (trailing) return value.startsWith(glob.slice(0, -1));
  return glob === value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  return aKeys.every((key) => Object.hasOwn(bRecord, key) && deepEqual(aRecord[key], bRecord[key]));
}
