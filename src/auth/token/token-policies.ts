/**
 * A new token's policies, as Vault's `resolveTokenPolicies`: from the request, the parent and the
 * token role (its allowed and disallowed lists and globs), with Vault's `default` rules.
 *
 * @module
 */
import { InvalidRequestError, PermissionDeniedError } from "../../errors.js";
import type { TokenRole } from "./token-role.js";

/** What the policies of a new token are decided from. */
export interface PolicyInputs {
  /** The policies asked for (normalized), or `undefined`/empty when none were given. */
  requested: readonly string[] | undefined;
  noDefaultPolicy: boolean;
  /** The parent token's policies. */
  parent: readonly string[];
  /** Whether the parent has `sudo` on the creating path (or is root). */
  sudo: boolean;
  /** The role the token is created against, if any. */
  role: TokenRole | undefined;
}

/**
 * The new token's policies, sorted.
 *
 * - A role with any allowed or disallowed list decides alone: the requested policies must be in
 *   its allowed lists (when it has any), none may be in its disallowed lists, and without a request
 *   its `allowed_policies` (not its globs) become the token's. `default` is added unless the
 *   request or the role says not to, or the role disallows it. The parent's policies do not limit
 *   this (a role is how an operator grants more than the parent holds).
 * - Otherwise, as without a role: no request inherits the parent's policies; a request must be a
 *   subset of the parent's unless the parent has `sudo`; `default` is added when the parent has
 *   it (always, with `sudo`) unless `no_default_policy`.
 * - Only a root parent ever gets a root token, whatever the role says.
 *
 * @throws PermissionDeniedError for policies outside the parent's, or root without a root parent
 * @throws InvalidRequestError for policies outside the role's allowed lists or in its disallowed ones
 */
export function resolveTokenPolicies({ requested, noDefaultPolicy, parent, sudo, role }: PolicyInputs): string[] {
  const asked = requested ?? [];
  const final = role && roleHasPolicyLists(role) ? fromRole(role, asked, noDefaultPolicy, parent) : withoutRole(asked, noDefaultPolicy, parent, sudo);
  const policies = noDefaultPolicy ? final.filter((p) => p !== "default") : final;
  if (policies.includes("root") && !parent.includes("root")) {
    throw new PermissionDeniedError("permission denied: only a root token can create a root token");
  }
  return policies;
}

function roleHasPolicyLists(role: TokenRole): boolean {
  return role.allowedPolicies.length > 0 || role.disallowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0 || role.disallowedPoliciesGlob.length > 0;
}

function fromRole(role: TokenRole, asked: readonly string[], noDefaultPolicy: boolean, parent: readonly string[]): string[] {
  const addDefault =
    !noDefaultPolicy && !role.tokenNoDefaultPolicy && !role.disallowedPolicies.includes("default") && !matchesAnyGlob(role.disallowedPoliciesGlob, "default");
  let final = asked.length > 0 ? sanitize(asked, addDefault) : [];
  if (role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0) {
    const allowed = sanitize(role.allowedPolicies, addDefault);
    if (final.length === 0) {
      final = allowed;
    } else {
      const outside = final.filter((p) => !allowed.includes(p) && !matchesAnyGlob(role.allowedPoliciesGlob, p));
      if (outside.length > 0) {
        throw new InvalidRequestError(`token policies must be a subset of the role's allowed policies or globs; not allowed: ${outside.join(", ")}`);
      }
    }
  } else if (final.length === 0) {
    final = sanitize(parent, addDefault);
  }
  const disallowed = final.find((p) => role.disallowedPolicies.includes(p) || matchesAnyGlob(role.disallowedPoliciesGlob, p));
  if (disallowed !== undefined) throw new InvalidRequestError(`token policy ${JSON.stringify(disallowed)} is disallowed by this role`);
  return final;
}

function withoutRole(asked: readonly string[], noDefaultPolicy: boolean, parent: readonly string[], sudo: boolean): string[] {
  if (asked.length === 0) return sanitize(parent, false);
  if (!sudo) {
    const parentSet = sanitize(parent, false);
    const missing = sanitize(asked, false).filter((p) => !parentSet.includes(p));
    if (missing.length > 0) {
      throw new PermissionDeniedError(`child policies must be a subset of the parent's; the parent lacks ${missing.join(", ")}`);
    }
    return sanitize(asked, !noDefaultPolicy && parent.includes("default"));
  }
  return sanitize(asked, !noDefaultPolicy);
}

/** Vault's `SanitizePolicies`: de-duplicated and sorted; root alone when present; `default` added on request. */
function sanitize(policies: readonly string[], addDefault: boolean): string[] {
  const names = policies.map((p) => p.trim().toLowerCase()).filter(Boolean);
  if (names.includes("root")) return ["root"];
  return [...new Set(addDefault ? [...names, "default"] : names)].sort();
}

/** Whether `name` matches one of `globs`, where `*` matches any run of characters (Vault's `StrListContainsGlob`). */
export function matchesAnyGlob(globs: readonly string[], name: string): boolean {
  return globs.some((glob) => globMatches(glob, name));
}

function globMatches(glob: string, name: string): boolean {
  const parts = glob.split("*");
  if (parts.length === 1) return glob === name;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!name.startsWith(first) || name.length < first.length + last.length || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = name.indexOf(middle, at);
    if (found === -1 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}
