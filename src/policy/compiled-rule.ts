/**
 * A compiled rule: the merged permissions of one pattern, flattened for the hot path, and the
 * decision Vault makes with the winning rule once a lookup has found it.
 *
 * @module
 */
import { CAPABILITY_BIT, reportCapabilities } from "./capability.js";
import { parametersAllowed } from "./parameter-check.js";
import { permissionsOf, type Permissions } from "./permissions.js";

/**
 * The merged permissions of one pattern, flattened so that a decision reads this one object only.
 * (`RuleTable` decides most rules from their capability bits alone, and reads this object only for
 * rules with wrapping TTL bounds or parameter constraints.)
 */
export interface CompiledRule {
  /** The capability bits (see `CAPABILITY_BIT`). */
  readonly bits: number;
  /** Whether `sudo` is among the capabilities. */
  readonly sudo: boolean;
  /** What the capabilities endpoint reports for this rule. */
  readonly reported: readonly string[];
  /** Wrapping TTL bounds in seconds; 0 when unset. */
  readonly minWrappingTtl: number;
  readonly maxWrappingTtl: number;
  /** The permissions, when they hold parameter constraints to check; else undefined. */
  readonly constraints: Permissions | undefined;
}

/** The parts of a request the decision reads. */
export interface DecisionInput {
  /** The request data. */
  readonly data?: Readonly<Record<string, unknown>> | undefined;
  /** The requested response-wrapping TTL in seconds. */
  readonly wrapTtl?: number | undefined;
}

/** The operations whose data Vault checks against parameter constraints, as capability bits. */
const PARAMETER_CHECKED_BITS =
  CAPABILITY_BIT.read | CAPABILITY_BIT.create | CAPABILITY_BIT.update | CAPABILITY_BIT.patch | CAPABILITY_BIT.recover;

/** Every capability bit set: capability bit sets are integers from 0 to this. */
const ALL_CAPABILITY_BITS = Object.values(CAPABILITY_BIT).reduce((all, bit) => all | bit, 0);

/**
 * Rules with the same capabilities share one report array: results copy it on every evaluation,
 * and a handful of shared arrays stay in the CPU cache where 100,000 separate ones would not.
 * Indexed by capability bits (the decision fetches one per evaluation, and an array index is
 * cheaper than a `Map` lookup); filled on first use.
 */
const REPORTS_BY_BITS: Array<readonly string[] | undefined> = new Array<undefined>(ALL_CAPABILITY_BITS + 1).fill(undefined);

/** What the capabilities endpoint reports for a rule with these capability bits (a shared, frozen array). */
export function reportedFor(bits: number): readonly string[] {
  return REPORTS_BY_BITS[bits] ?? (REPORTS_BY_BITS[bits] = Object.freeze(reportCapabilities(bits)));
}

/** Flattens merged permissions into a rule. */
export function compiledRule(permissions: Permissions): CompiledRule {
  const hasConstraints =
    permissions.allowedParameters.size > 0 || permissions.deniedParameters.size > 0 || permissions.requiredParameters.length > 0;
  return {
    bits: permissions.bits,
    sudo: (permissions.bits & CAPABILITY_BIT.sudo) !== 0,
    reported: reportedFor(permissions.bits),
    minWrappingTtl: permissions.minWrappingTtl,
    maxWrappingTtl: permissions.maxWrappingTtl,
    constraints: hasConstraints ? permissions : undefined,
  };
}

/** The rule that applies when no pattern matches: it grants nothing. (Defined after `REPORTS_BY_BITS`, which it needs.) */
export const NO_MATCH: CompiledRule = compiledRule(permissionsOf({ pattern: "", capabilities: [] }));

/**
 * Whether the winning rule lets a request through, with Vault's checks in Vault's order: the
 * operation's capability, the wrapping TTL bounds, then (for operations that carry data) the
 * parameter constraints.
 */
export function permits(rule: CompiledRule, operationBit: number, request: DecisionInput): boolean {
  if ((rule.bits & operationBit) === 0) return false;
  if (!wrappingTtlAllowed(rule, request.wrapTtl)) return false;
  if (rule.constraints === undefined || (operationBit & PARAMETER_CHECKED_BITS) === 0) return true;
  return parametersAllowed(rule.constraints, request.data);
}

/** A rule with wrapping TTL bounds demands that the request be wrapped, with a TTL inside them. */
function wrappingTtlAllowed(rule: CompiledRule, wrapTtl: number | undefined): boolean {
  const { minWrappingTtl, maxWrappingTtl } = rule;
  if (maxWrappingTtl > 0 && (wrapTtl === undefined || wrapTtl > maxWrappingTtl)) return false;
  if (minWrappingTtl > 0 && (wrapTtl === undefined || wrapTtl < minWrappingTtl)) return false;
  // Merging can produce max < min even though each rule alone was checked when parsed.
  return !(minWrappingTtl > 0 && maxWrappingTtl > 0 && maxWrappingTtl < minWrappingTtl);
}
