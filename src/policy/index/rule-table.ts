/**
 * The compiled rules of one evaluator, by id: what the index lookups return, and what the decision
 * then reads.
 *
 * Ids are small integers. The non-exact rules come first, in Vault's priority order, so that "the
 * highest-ranked match wins" is "the highest id wins" — one integer comparison. The exact rules
 * follow (they never compete with each other). {@link NO_RULE} means no rule matched.
 *
 * Most rules only grant capabilities, and the decision for them needs the capability bits alone:
 * those live in one `Int32Array` (4 bytes a rule, 400 KB for 100,000 rules, small enough to stay
 * in the CPU cache), with a flag for the rules that have parameter constraints or wrapping TTL
 * bounds. Only for those is the full {@link CompiledRule} object read.
 *
 * @module
 */
import { CAPABILITY_BIT } from "../capability.js";
import { NO_MATCH, permits, reportedFor, type CompiledRule, type DecisionInput } from "../compiled-rule.js";

/** The id lookups return when no rule matches. */
export const NO_RULE = -1;

// Module-local copies of exported or imported constants, read on every evaluation (see
// `path-hash.ts` on why).
const NONE = NO_RULE;
const SUDO = CAPABILITY_BIT.sudo;
const DENY = CAPABILITY_BIT.deny;

/**
 * Why a policy denies a request: `"deny"` — the winning rule denies (an explicit `deny`, in any of
 * the merged policies); `"constraint"` — the winning rule grants the operation, but its wrapping
 * TTL bounds or parameter constraints refuse this request; `"not-granted"` — no rule matches, or
 * the winning rule does not grant the operation.
 */
export type Refusal = "deny" | "constraint" | "not-granted";

/** Set in a rule's word when deciding needs the full rule (parameter constraints, wrapping TTLs). */
const NEEDS_FULL_RULE = 1 << 30;

/** The rules of one evaluator, by id; immutable once built. */
export class RuleTable {
  /** Per rule: its capability bits, plus `NEEDS_FULL_RULE`. */
  readonly #words: Int32Array;
  /** Per rule: the full rule when its word has `NEEDS_FULL_RULE`, else undefined (not kept). */
  readonly #rules: ReadonlyArray<CompiledRule | undefined>;

  /** @param rules - the rules in id order */
  constructor(rules: readonly CompiledRule[]) {
    this.#words = new Int32Array(rules.length);
    this.#rules = rules.map((rule, id) => {
      const needsFull = rule.constraints !== undefined || rule.minWrappingTtl > 0 || rule.maxWrappingTtl > 0;
      this.#words[id] = rule.bits | (needsFull ? NEEDS_FULL_RULE : 0);
      return needsFull ? rule : undefined;
    });
  }

  /** Whether rule `id` lets the request through (see `permits`); {@link NO_RULE} never does. */
  permits(id: number, operationBit: number, request: DecisionInput): boolean {
    if (id === NONE) return false;
    const word = this.#words[id]!;
    if ((word & NEEDS_FULL_RULE) === 0) return (word & operationBit) !== 0;
    return permits(this.#rules[id]!, operationBit, request);
  }

  /**
   * Why rule `id` does not let the request through, or `undefined` when it does (see
   * {@link Refusal}). Read only after a denial: the hot path asks {@link RuleTable.permits}.
   */
  refusal(id: number, operationBit: number, request: DecisionInput): Refusal | undefined {
    if (id === NONE) return "not-granted";
    const word = this.#words[id]!;
    if ((word & DENY) !== 0) return "deny";
    if ((word & operationBit) === 0) return "not-granted";
    return this.permits(id, operationBit, request) ? undefined : "constraint";
  }

  /** Whether rule `id` grants `sudo`. */
  sudo(id: number): boolean {
    return id !== NONE && (this.#words[id]! & SUDO) !== 0;
  }

  /** What the capabilities endpoint reports for rule `id` (shared; copy before handing it out). */
  reported(id: number): readonly string[] {
    return id === NONE ? NO_MATCH.reported : reportedFor(this.#words[id]! & ~NEEDS_FULL_RULE);
  }
}
