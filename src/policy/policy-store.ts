/**
 * Stored ACL policies, and compiled evaluators for the policy sets tokens carry.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { JsonStore } from "../storage/json-store.js";
import {
  DEFAULT_POLICY,
  DEFAULT_POLICY_TEXT,
  RESPONSE_WRAPPING_POLICY,
  RESPONSE_WRAPPING_POLICY_NAME,
  RESPONSE_WRAPPING_POLICY_TEXT,
  ROOT_POLICY,
} from "./builtin-policies.js";
import { PolicyEvaluator } from "./evaluator.js";
import { parsePolicy } from "./parse/parse-policy.js";
import type { Policy } from "./policy.js";

interface StoredPolicy {
  name: string;
  raw: string;
}

/** Policies listed although they need not be stored. */
const LISTED_BUILTINS = ["default", "root"];
/** Built-in policies nobody may write or delete (Vault's immutable policies). */
const IMMUTABLE = new Set(["root", RESPONSE_WRAPPING_POLICY_NAME]);
const VALID_NAME = /^[a-z0-9][a-z0-9_.@-]*$/;

/**
 * Normalizes a policy name as Vault does (lower-case, trimmed) and checks its characters.
 *
 * @throws InvalidRequestError for an empty or malformed name
 */
export function normalizePolicyName(name: unknown): string {
  const normalized = typeof name === "string" ? name.trim().toLowerCase() : "";
  if (!VALID_NAME.test(normalized) || normalized.length > 128) {
    throw new InvalidRequestError(`policy name ${JSON.stringify(name)} is invalid: use letters, digits, "_", ".", "@" and "-"`);
  }
  return normalized;
}

/**
 * The policy store, as Vault's: `root` and `response-wrapping` are built in and immutable;
 * `default` is built in until written, and then its stored text applies (it may be replaced, never
 * deleted); other policies are parsed when written (so bad text is refused before anything is
 * stored) and compiled once per distinct set of policy names.
 */
export class PolicyStore {
  readonly #store: JsonStore;
  readonly #evaluators = new Map<string, PolicyEvaluator>();
  /** Bumped by every invalidation: an evaluator compiled from reads that straddle one is not kept. */
  #generation = 0;

  /** @param store - the policies' storage view */
  constructor(store: JsonStore) {
    this.#store = store;
  }

  /** Names of every policy, `root` and `default` included, sorted (`response-wrapping` is not assignable, so not listed). */
  async names(): Promise<string[]> {
    return [...new Set([...LISTED_BUILTINS, ...(await this.#store.list())])].sort();
  }

  /** The policy's text, or `undefined`. */
  async text(name: string): Promise<string | undefined> {
    if (name === "root") return "";
    if (name === RESPONSE_WRAPPING_POLICY_NAME) return RESPONSE_WRAPPING_POLICY_TEXT;
    const stored = (await this.#store.get<StoredPolicy>(name))?.raw;
    return stored ?? (name === "default" ? DEFAULT_POLICY_TEXT : undefined);
  }

  /**
   * Parses and stores a policy; writing `default` replaces the built-in text.
   *
   * @throws InvalidRequestError for `root` or `response-wrapping`, or bad policy text (naming line and problem)
   */
  async put(rawName: unknown, text: unknown): Promise<void> {
    const name = normalizePolicyName(rawName);
    if (IMMUTABLE.has(name)) throw new InvalidRequestError(`cannot update ${JSON.stringify(name)} policy: it is built in`);
    if (typeof text !== "string" || text.trim() === "") throw new InvalidRequestError("policy is required: the policy text in HCL or JSON");
    parsePolicy(name, text);
    await this.#store.put(name, { name, raw: text } satisfies StoredPolicy);
    this.invalidate();
  }

  /**
   * Deletes a policy; deleting a missing one is not an error.
   *
   * @throws InvalidRequestError for `root`, `response-wrapping` and `default`, as Vault
   */
  async delete(rawName: unknown): Promise<void> {
    const name = normalizePolicyName(rawName);
    if (IMMUTABLE.has(name)) throw new InvalidRequestError(`cannot delete ${JSON.stringify(name)} policy: it is built in`);
    if (name === "default") throw new InvalidRequestError("cannot delete default policy: every token may hold it; write it to change what it grants");
    await this.#store.delete(name);
    this.invalidate();
  }

  /**
   * Forgets every compiled evaluator (a policy changed, here or through another engine on the
   * same storage): the next lookups compile from storage.
   */
  invalidate(): void {
    this.#generation++;
    this.#evaluators.clear();
  }

  /**
   * The evaluator for a token's policies. A token holding `root` gets the root policy alone;
   * names of policies that do not exist are ignored, as in Vault.
   */
  async evaluatorFor(names: readonly string[]): Promise<PolicyEvaluator> {
    // One name (a root token's, say) is its own key; a comma cannot clash with a joined set.
    const key = names.length === 1 && !names[0]!.includes(",") ? names[0]! : [...new Set(names)].sort().join(",");
    let evaluator = this.#evaluators.get(key);
    if (!evaluator) {
      const generation = this.#generation;
      evaluator = new PolicyEvaluator(names.includes("root") ? [ROOT_POLICY] : await this.#load(names));
      if (generation === this.#generation) this.#evaluators.set(key, evaluator);
    }
    return evaluator;
  }

  async #load(names: readonly string[]): Promise<Policy[]> {
    const policies: Policy[] = [];
    for (const name of new Set(names)) {
      if (name === RESPONSE_WRAPPING_POLICY_NAME) {
        policies.push(RESPONSE_WRAPPING_POLICY);
        continue;
      }
      const stored = await this.#store.get<StoredPolicy>(name);
      if (stored) policies.push(parsePolicy(stored.name, stored.raw));
      else if (name === "default") policies.push(DEFAULT_POLICY);
    }
    return policies;
  }
}
