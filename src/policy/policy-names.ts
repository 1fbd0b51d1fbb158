/**
 * How a request's list of policy names becomes the names the engine stores: one rule, shared by
 * the endpoints that store such lists (`auth/token/create`, token roles) and by the parameter
 * constraints that guard them, so a constraint always judges the names that will be stored.
 *
 * @module
 */

/**
 * The request parameters whose values are policy names, stored trimmed and lower-cased: Vault's
 * `policies` and `token_policies`, and the token roles' four policy lists.
 */
export const POLICY_NAME_PARAMETERS: ReadonlySet<string> = new Set([
  "policies",
  "token_policies",
  "allowed_policies",
  "disallowed_policies",
  "allowed_policies_glob",
  "disallowed_policies_glob",
]);

/**
 * The names a policy-name value stands for, as stored: a string is split at its commas, a list is
 * taken element by element (an element is never split), and every name is trimmed and
 * lower-cased; empty names are dropped. Elements that are not strings are kept as they are (the
 * endpoints refuse them). `undefined` for a value that is neither a string nor a list.
 *
 * @example
 * ```ts
 * policyNameItems(" Apps, ADMIN ,"); // ["apps", "admin"]
 * policyNameItems(["ADMIN "]);       // ["admin"]
 * ```
 */
export function policyNameItems(value: unknown): unknown[] | undefined {
  const items: unknown[] | undefined = typeof value === "string" ? value.split(",") : Array.isArray(value) ? value : undefined;
  return items?.map(normalizedItem).filter((item) => item !== "");
}

function normalizedItem(item: unknown): unknown {
  return typeof item === "string" ? item.trim().toLowerCase() : item;
}

/**
 * A policy constraint's own list of values for a policy-name parameter, read as names: string
 * entries (globs included) trimmed and lower-cased, so `Admin` in a policy means the policy that
 * is stored as `admin`.
 */
export function policyNameConstraintValues(values: readonly unknown[]): unknown[] {
  return values.map(normalizedItem);
}
