/**
 * `PolicyEvaluator`: decides whether a set of policies lets a request through, with Vault's
 * semantics, from a structure compiled once so that each decision costs time proportional to the
 * path's length, not to the number of rules.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { Operation } from "../request.js";
import { CAPABILITY_BIT, reportCapabilities } from "./capability.js";
import { parametersAllowed } from "./parameter-check.js";
import { classifyPattern, comparePriority, mergeKey, type ClassifiedPattern } from "./pattern.js";
import { mergePermissions, permissionsOf, type Permissions } from "./permissions.js";
import type { Policy } from "./policy.js";
import { intern } from "./intern.js";
import { SegmentTrie } from "./segment-trie.js";

export { DEFAULT_POLICY, DEFAULT_POLICY_TEXT, ROOT_POLICY } from "./builtin-policies.js";

/** The operations a policy decides on: the request operations, plus Vault's `subscribe` and `recover`. */
export type PolicyOperation = Operation | "subscribe" | "recover";

/** What {@link PolicyEvaluator.evaluate} is asked. */
export interface EvaluationRequest {
  /**
   * The request path, e.g. `"database/creds/readonly"`. Leading `/` are ignored. For `list`, a
   * trailing `/` is added when missing, as Vault's HTTP layer does for every LIST request.
   */
  path: string;
  /** The operation. */
  operation: PolicyOperation;
  /** The request data, checked against parameter constraints for read/create/update/patch/recover. */
  data?: Readonly<Record<string, unknown>>;
  /** The response-wrapping TTL the request asks for, in seconds; checked against min/max_wrapping_ttl. */
  wrapTtl?: number;
}

/**
 * The decision.
 *
 * @example
 * ```ts
 * { allowed: true, sudo: false, capabilities: ["read", "list"] }
 * ```
 */
export interface EvaluationResult {
  /** Whether the request may proceed. */
  allowed: boolean;
  /** Whether the winning rule grants `sudo` (reported even when the request is denied), or the token is root. */
  sudo: boolean;
  /**
   * The winning rule's capabilities, as the capabilities endpoint reports them: `["root"]` for the
   * root policy, `["deny"]` when no rule matches or the rule denies. A fresh array each time.
   */
  capabilities: string[];
}

/**
 * The merged permissions of one pattern, flattened so that the common decision (capability and
 * no parameter constraints) reads this one object only.
 */
interface CompiledRule {
  /** Priority among non-exact patterns (higher wins); exact patterns never compete, so theirs is unused. */
  readonly rank: number;
  readonly bits: number;
  readonly sudo: boolean;
  /** What the capabilities endpoint reports for this rule. */
  readonly reported: readonly string[];
  readonly minWrappingTtl: number;
  readonly maxWrappingTtl: number;
  /** The permissions, when they hold parameter constraints to check; else undefined. */
  readonly constraints: Permissions | undefined;
}

/** The capability bit each operation needs. */
const OPERATION_BIT: ReadonlyMap<string, number> = new Map<PolicyOperation, number>([
  ["read", CAPABILITY_BIT.read],
  ["create", CAPABILITY_BIT.create],
  ["update", CAPABILITY_BIT.update],
  ["delete", CAPABILITY_BIT.delete],
  ["list", CAPABILITY_BIT.list],
  ["patch", CAPABILITY_BIT.patch],
  ["subscribe", CAPABILITY_BIT.subscribe],
  ["recover", CAPABILITY_BIT.recover],
]);

/** The operations whose data Vault checks against parameter constraints, as capability bits. */
const PARAMETER_CHECKED_BITS =
  CAPABILITY_BIT.read | CAPABILITY_BIT.create | CAPABILITY_BIT.update | CAPABILITY_BIT.patch | CAPABILITY_BIT.recover;

const ROOT_RESULT_CAPABILITIES = ["root"] as const;
const NO_MATCH: CompiledRule = compiledRule(permissionsOf({ pattern: "", capabilities: [] }), -1);

/**
 * Evaluates requests against a set of policies, exactly as Vault's ACL does:
 *
 * - an exact pattern that equals the path wins outright; for `list`, the path without its trailing
 *   `/` is tried as an exact pattern too, then as a non-exact one, before the path itself;
 * - otherwise, of the prefix (`*`) and segment-wildcard (`+`) patterns that match, exactly one
 *   wins, by Vault's priority order (see `docs/policies.md`);
 * - the same pattern in several policies merges: capabilities unite, and `deny` anywhere wins;
 * - the winning rule alone decides: its capabilities, wrapping TTL bounds, parameter constraints.
 *
 * @example
 * ```ts
 * const ev = new PolicyEvaluator([DEFAULT_POLICY, parsePolicy("apps", text)]);
 * ev.evaluate({ path: "database/creds/readonly", operation: "read" }).allowed; // true
 * ev.capabilities("database/creds/readonly"); // ["read"]
 * ```
 */
export class PolicyEvaluator {
  readonly #isRoot: boolean;
  readonly #exact = new Map<string, CompiledRule>();
  /** The exact patterns that end in "/", keyed without it. */
  readonly #exactWithSlash = new Map<string, CompiledRule>();
  readonly #wildcards = new SegmentTrie<CompiledRule>();

  /**
   * Compiles the policies. Compilation is linear in the number of rules (plus a sort of the
   * non-exact patterns); build one evaluator per distinct set of policies and reuse it.
   *
   * @throws InvalidRequestError when the root policy is combined with any other policy, as in Vault
   */
  constructor(policies: readonly Policy[]) {
    this.#isRoot = policies.some((policy) => policy.name === "root");
    if (this.#isRoot && policies.length !== 1) {
      throw new InvalidRequestError("the root policy cannot be combined with other policies: a root token has only the root policy");
    }
    if (!this.#isRoot) this.#compile(policies);
  }

  /**
   * Decides one request.
   *
   * @throws InvalidRequestError for an operation that is not a {@link PolicyOperation}
   */
  evaluate(request: EvaluationRequest): EvaluationResult {
    const operationBit = bitFor(request.operation);
    if (this.#isRoot) return { allowed: true, sudo: true, capabilities: [...ROOT_RESULT_CAPABILITIES] };
    const path = stripLeadingSlashes(request.path);
    const rule = (request.operation === "list" ? this.#lookupList(path, true) : this.#lookupOther(path)) ?? NO_MATCH;
    return {
      allowed: permits(rule, operationBit, request),
      sudo: rule.sudo,
      capabilities: [...rule.reported],
    };
  }

  /**
   * What a token with these policies may do on `path`, as Vault's `sys/capabilities` endpoint
   * answers: `["root"]` for the root policy, `["deny"]` when nothing matches or the winning rule
   * denies, else the granted capabilities. The path is looked up as Vault does it (as a `list`,
   * which also tries the path without a trailing `/`), but no `/` is added.
   */
  capabilities(path: string): string[] {
    if (this.#isRoot) return [...ROOT_RESULT_CAPABILITIES];
    const rule = this.#lookupList(stripLeadingSlashes(path), false) ?? NO_MATCH;
    return [...rule.reported];
  }

  #lookupOther(path: string): CompiledRule | undefined {
    return this.#exact.get(path) ?? this.#wildcards.best(path);
  }

  /**
   * Vault's lookup for a list of `path` + "/" (the slash is added only if missing, and only when
   * `addSlash`): exact `path/`, exact `path`; then the non-exact patterns for `path`, and only when
   * none match, for `path/` — even if `path/` would match a higher-priority pattern.
   */
  #lookupList(path: string, addSlash: boolean): CompiledRule | undefined {
    if (path.endsWith("/")) {
      const trimmed = path.slice(0, -1);
      return (
        this.#exact.get(path) ??
        this.#exact.get(trimmed) ??
        this.#wildcards.best(path, trimmed.length) ??
        this.#wildcards.best(path)
      );
    }
    if (!addSlash) return this.#lookupOther(path);
    // The slash is virtual: exact patterns ending in "/" are also indexed without it, and the trie
    // can walk a path as if it had one, so a list lookup allocates no new path string.
    return (
      this.#exactWithSlash.get(path) ??
      this.#exact.get(path) ??
      this.#wildcards.best(path) ??
      this.#wildcards.best(path, path.length, true)
    );
  }

  #compile(policies: readonly Policy[]): void {
    const merged = mergeByPattern(policies);
    const nonExact: Array<[ClassifiedPattern, Permissions]> = [];
    for (const [pattern, permissions] of merged.values()) {
      if (pattern.kind === "exact") this.#addExact(pattern.pattern, compiledRule(permissions, 0));
      else nonExact.push([pattern, permissions]);
    }
    // Ranking once here turns Vault's five-step comparison into one integer comparison per lookup.
    nonExact.sort(([a], [b]) => comparePriority(a, b));
    nonExact.forEach(([pattern, permissions], rank) => this.#wildcards.insert(pattern, compiledRule(permissions, rank)));
  }

  #addExact(pattern: string, rule: CompiledRule): void {
    this.#exact.set(intern(pattern), rule);
    if (pattern.endsWith("/")) this.#exactWithSlash.set(intern(pattern.slice(0, -1)), rule);
  }
}

function mergeByPattern(policies: readonly Policy[]): Map<string, [ClassifiedPattern, Permissions]> {
  const merged = new Map<string, [ClassifiedPattern, Permissions]>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      const pattern = classifyPattern(stripLeadingSlash(rule.pattern));
      const key = mergeKey(pattern);
      const existing = merged.get(key);
      if (existing) mergePermissions(existing[1], permissionsOf(rule));
      else merged.set(key, [pattern, permissionsOf(rule)]);
    }
  }
  return merged;
}

function compiledRule(permissions: Permissions, rank: number): CompiledRule {
  const hasConstraints =
    permissions.allowedParameters.size > 0 || permissions.deniedParameters.size > 0 || permissions.requiredParameters.length > 0;
  return {
    rank,
    bits: permissions.bits,
    sudo: (permissions.bits & CAPABILITY_BIT.sudo) !== 0,
    reported: reportCapabilities(permissions.bits),
    minWrappingTtl: permissions.minWrappingTtl,
    maxWrappingTtl: permissions.maxWrappingTtl,
    constraints: hasConstraints ? permissions : undefined,
  };
}

/** Whether the winning rule's permissions let this request through (Vault's checks, in Vault's order). */
function permits(rule: CompiledRule, operationBit: number, request: EvaluationRequest): boolean {
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

function bitFor(operation: PolicyOperation): number {
  const bit = OPERATION_BIT.get(operation);
  if (bit === undefined) {
    const known = [...OPERATION_BIT.keys()].join(", ");
    throw new InvalidRequestError(`unknown operation ${JSON.stringify(operation)}; use one of ${known}`);
  }
  return bit;
}

function stripLeadingSlashes(path: string): string {
  let start = 0;
  while (path.charCodeAt(start) === 47 /* "/" */) start++;
  return start === 0 ? path : path.slice(start);
}

function stripLeadingSlash(pattern: string): string {
  return pattern.startsWith("/") ? pattern.slice(1) : pattern;
}
