/**
 * The permissions a pattern grants once every rule for that pattern (across all of a token's
 * policies) has been merged, and the merge itself — Vault's rules, step by step.
 *
 * @module
 */
import { CAPABILITY_BIT, capabilityBits } from "./capability.js";
import type { ParameterConstraints, PathRule } from "./policy.js";
import { POLICY_NAME_PARAMETERS, policyNameConstraintValues } from "./policy-names.js";

/** What one pattern grants after merging. Parameter names are lower-cased. */
export interface Permissions {
  /** Union of the capability bits; exactly `deny` when any merged rule denied. */
  bits: number;
  /** Shortest required wrapping TTL in seconds; 0 when unset. */
  minWrappingTtl: number;
  /** Longest allowed wrapping TTL in seconds; 0 when unset. */
  maxWrappingTtl: number;
  allowedParameters: Map<string, unknown[]>;
  deniedParameters: Map<string, unknown[]>;
  requiredParameters: string[];
}

/** The permissions of a single rule, before merging with other rules for the same pattern. */
export function permissionsOf(rule: PathRule): Permissions {
  const bits = capabilityBits(rule.capabilities);
  // A denying rule carries nothing else, so nothing else can leak into a later merge.
  if (bits & CAPABILITY_BIT.deny) return denyOnly();
  return {
    bits,
    minWrappingTtl: rule.minWrappingTtl ?? 0,
    maxWrappingTtl: rule.maxWrappingTtl ?? 0,
    allowedParameters: toMap(rule.allowedParameters),
    deniedParameters: toMap(rule.deniedParameters),
    requiredParameters: [...(rule.requiredParameters ?? [])],
  };
}

/**
 * Merges a further rule's permissions into `existing`, in place, as Vault does when two policies
 * (or two blocks) name the same pattern:
 *
 * - `deny` on either side wins and clears every other capability and parameter constraint;
 * - otherwise capabilities are united, wrapping TTL bounds take the smaller non-zero value,
 *   required parameters are united;
 * - allowed/denied parameter value lists are concatenated per name, except that an empty list
 *   ("any value") on either side stays empty.
 */
export function mergePermissions(existing: Permissions, added: Permissions): void {
  if (existing.bits & CAPABILITY_BIT.deny) return;
  if (added.bits & CAPABILITY_BIT.deny) {
    Object.assign(existing, denyOnly());
    return;
  }
  existing.bits |= added.bits;
  existing.maxWrappingTtl = smallerNonZero(existing.maxWrappingTtl, added.maxWrappingTtl);
  existing.minWrappingTtl = smallerNonZero(existing.minWrappingTtl, added.minWrappingTtl);
  mergeParameterLists(existing.allowedParameters, added.allowedParameters);
  mergeParameterLists(existing.deniedParameters, added.deniedParameters);
  for (const name of added.requiredParameters) {
    if (!existing.requiredParameters.includes(name)) existing.requiredParameters.push(name);
  }
}

function mergeParameterLists(existing: Map<string, unknown[]>, added: Map<string, unknown[]>): void {
  for (const [name, values] of added) {
    const current = existing.get(name);
    const anyValue = values.length === 0 || (current !== undefined && current.length === 0);
    existing.set(name, anyValue ? [] : [...values, ...(current ?? [])]);
  }
}

function smallerNonZero(current: number, added: number): number {
  if (added > 0 && (current === 0 || added < current)) return added;
  return current;
}

function denyOnly(): Permissions {
  return {
    bits: CAPABILITY_BIT.deny,
    minWrappingTtl: 0,
    maxWrappingTtl: 0,
    allowedParameters: new Map(),
    deniedParameters: new Map(),
    requiredParameters: [],
  };
}

function toMap(constraints: ParameterConstraints | undefined): Map<string, unknown[]> {
  const map = new Map<string, unknown[]>();
  if (!constraints) return map;
  // Keys are lower-cased again here because a Policy may be built by hand, not only by parsePolicy.
  for (const [key, values] of Object.entries(constraints)) {
    const name = key.toLowerCase();
    // Policy names are stored lower-cased: `Admin` in a constraint means `admin` (parameter-check.ts).
    map.set(name, POLICY_NAME_PARAMETERS.has(name) ? policyNameConstraintValues(values) : [...values]);
  }
  return map;
}
