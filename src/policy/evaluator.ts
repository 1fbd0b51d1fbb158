/**
 * `PolicyEvaluator`: decides whether a set of policies lets a request through, with Vault's
 * semantics, from a structure compiled once so that each decision costs time proportional to the
 * path's length, not to the number of rules.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { Operation } from "../request.js";
import { CAPABILITY_BIT } from "./capability.js";
import { compiledRule, type CompiledRule } from "./compiled-rule.js";
import { ExactIndex } from "./index/exact-index.js";
import { classifyPattern, comparePriority, mergeKey, type ClassifiedPattern } from "./pattern.js";
import { PatternIndex } from "./index/pattern-index.js";
import { scanPath } from "./index/path-scan.js";
import { mergePermissions, permissionsOf, type Permissions } from "./permissions.js";
import type { Policy } from "./policy.js";
import { NO_RULE as IMPORTED_NO_RULE, RuleTable, type Refusal } from "./index/rule-table.js";

export { DEFAULT_POLICY, DEFAULT_POLICY_TEXT, ROOT_POLICY } from "./builtin-policies.js";
export type { Refusal } from "./index/rule-table.js";

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

const ROOT_RESULT_CAPABILITIES = ["root"] as const;

// The bits of the common operations, as module-local constants for `operationBitOf`.
const { read: READ_BIT, update: UPDATE_BIT, list: LIST_BIT, create: CREATE_BIT, delete: DELETE_BIT } = CAPABILITY_BIT;

/** A module-local copy of an imported constant read on every lookup (see `path-hash.ts` on why). */
const NO_RULE = IMPORTED_NO_RULE;


/**
 * Evaluates requests against a set of policies, exactly as Vault's ACL does:
 *
 * - an exact pattern that equals the path wins outright; for `list`, the path without its trailing
 *   `/` is tried as an exact pattern too; then the non-exact patterns for the path itself, and for
 *   a `list` only when none match, for the path without its `/` (Vault's fix GHSA-xp3c-3jw3-4vcr:
 *   a deny on `foo/private/*` holds for a list of `foo/private/` even where `foo/*` grants list);
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
  readonly #exact: ExactIndex;
  readonly #patterns: PatternIndex;
  readonly #rules: RuleTable;
  /** Whether any rule exists, so that lookups must scan the path. */
  readonly #needsScan: boolean;

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
    const { exact, patterns, rules } = compile(this.#isRoot ? [] : policies);
    this.#exact = exact;
    this.#patterns = patterns;
    this.#rules = rules;
    this.#needsScan = !exact.isEmpty || !patterns.isEmpty;
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
    const rule = request.operation === "list" ? this.#lookupList(path, true) : this.#lookupOther(path);
    const rules = this.#rules;
    return {
      allowed: rules.permits(rule, operationBit, request),
      sudo: rules.sudo(rule),
      capabilities: [...rules.reported(rule)],
    };
  }

  /**
   * Why {@link PolicyEvaluator.evaluate} denies `request`, or `undefined` when it allows it: an
   * explicit `deny` (`"deny"`), a rule that grants the operation but refuses this request's data
   * or wrapping TTL (`"constraint"`), or nothing granting the operation (`"not-granted"`). For a
   * rule that may only add to the policies — the lease-holder rule — where a policy's explicit
   * word must stand.
   *
   * @throws InvalidRequestError for an operation that is not a {@link PolicyOperation}
   */
  refusal(request: EvaluationRequest): Refusal | undefined {
    const operationBit = bitFor(request.operation);
    if (this.#isRoot) return undefined;
    const path = stripLeadingSlashes(request.path);
    const rule = request.operation === "list" ? this.#lookupList(path, true) : this.#lookupOther(path);
    return this.#rules.refusal(rule, operationBit, request);
  }

  /**
   * What a token with these policies may do on `path`, as Vault's `sys/capabilities` endpoint
   * answers: `["root"]` for the root policy, `["deny"]` when nothing matches or the winning rule
   * denies, else the granted capabilities. The path is looked up as Vault does it (as a `list`,
   * which also tries the path without a trailing `/`), but no `/` is added.
   */
  capabilities(path: string): string[] {
    if (this.#isRoot) return [...ROOT_RESULT_CAPABILITIES];
    return [...this.#rules.reported(this.#lookupList(stripLeadingSlashes(path), false))];
  }

  /** The winning rule's id for any operation but list: the exact pattern `path`, else the best non-exact one. */
  #lookupOther(path: string): number {
    if (!this.#needsScan) return NO_RULE;
    const segmentCount = scanPath(path, false);
    const exact = this.#exact.find(path, path.length);
    return exact !== NO_RULE ? exact : this.#patterns.best(path, path.length, segmentCount);
  }

  /**
   * Vault's lookup for a list of `path` + "/" (the slash is added only if missing, and only when
   * `addSlash`): exact `path/`, exact `path`; then the non-exact patterns for `path/`, and only
   * when none match, for `path`. The slashed path first is Vault's LIST deny fix
   * (GHSA-xp3c-3jw3-4vcr): a pattern matching `path` alone is shorter, so never more specific, and
   * it used to win over a deny on `path/*`.
   */
  #lookupList(path: string, addSlash: boolean): number {
    if (!path.endsWith("/")) return addSlash ? this.#lookupListAddingSlash(path) : this.#lookupOther(path);
    if (!this.#needsScan) return NO_RULE;
    // One scan of `path` serves every step: the view without its last character has the same
    // prefix hashes, and one segment fewer.
    const segmentCount = scanPath(path, false);
    let rule = this.#exact.find(path, path.length);
    if (rule === NO_RULE) rule = this.#exact.find(path, path.length - 1);
    if (rule === NO_RULE) rule = this.#patterns.best(path, path.length, segmentCount);
    if (rule === NO_RULE) rule = this.#patterns.best(path, path.length - 1, segmentCount - 1);
    return rule;
  }

  /**
   * {@link #lookupList} for a path without a trailing "/". The slash is virtual: the scan and the
   * indexes treat the path as if it ended in "/", so a list lookup builds no new path string.
   */
  #lookupListAddingSlash(path: string): number {
    if (!this.#needsScan) return NO_RULE;
    const segmentCount = scanPath(path, true);
    let rule = this.#exact.find(path, path.length + 1);
    if (rule === NO_RULE) rule = this.#exact.find(path, path.length);
    if (rule === NO_RULE) rule = this.#patterns.best(path, path.length + 1, segmentCount);
    if (rule === NO_RULE) rule = this.#patterns.best(path, path.length, segmentCount - 1);
    return rule;
  }
}

interface Compiled {
  exact: ExactIndex;
  patterns: PatternIndex;
  rules: RuleTable;
}

/**
 * Merges the policies' rules per pattern, numbers the rules (see `rule-table.ts`), then indexes
 * exact and non-exact patterns apart.
 */
function compile(policies: readonly Policy[]): Compiled {
  const exact: Array<[string, Permissions]> = [];
  const nonExact: Array<[ClassifiedPattern, Permissions]> = [];
  for (const [pattern, permissions] of mergeByPattern(policies).values()) {
    if (pattern.kind === "exact") exact.push([pattern.pattern, permissions]);
    else nonExact.push([pattern, permissions]);
  }
  // Ranking once here turns Vault's five-step comparison into one integer comparison per lookup:
  // the non-exact rules' ids are their ranks, and the exact rules are numbered after them.
  nonExact.sort(([a], [b]) => comparePriority(a, b));
  const rules: CompiledRule[] = nonExact.map(([, permissions]) => compiledRule(permissions));
  const exactIds = exact.map(([pattern, permissions]) => [pattern, rules.push(compiledRule(permissions)) - 1] as const);
  return {
    exact: new ExactIndex(exactIds),
    patterns: new PatternIndex(nonExact.map(([pattern], rank) => [pattern, rank] as const)),
    rules: new RuleTable(rules),
  };
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

function bitFor(operation: PolicyOperation): number {
  const bit = operationBitOf(operation);
  if (bit === 0) {
    const known = [...OPERATION_BIT.keys()].join(", ");
    throw new InvalidRequestError(`unknown operation ${JSON.stringify(operation)}; use one of ${known}`);
  }
  return bit;
}

/**
 * `OPERATION_BIT` as a switch for the common operations, on the hot path: operation names are
 * usually string literals, which V8 interns, so a case is then a pointer comparison — cheaper than
 * a `Map` lookup. The rest go to the map. 0 for an unknown operation.
 */
function operationBitOf(operation: string): number {
  switch (operation) {
    case "read":
      return READ_BIT;
    case "update":
      return UPDATE_BIT;
    case "list":
      return LIST_BIT;
    case "create":
      return CREATE_BIT;
    case "delete":
      return DELETE_BIT;
    default:
      return OPERATION_BIT.get(operation) ?? 0;
  }
}

function stripLeadingSlashes(path: string): string {
  let start = 0;
  while (path.charCodeAt(start) === 47 /* "/" */) start++;
  return start === 0 ? path : path.slice(start);
}

function stripLeadingSlash(pattern: string): string {
  return pattern.startsWith("/") ? pattern.slice(1) : pattern;
}
