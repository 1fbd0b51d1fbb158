/**
 * Stored password policies (`sys/policies/password/<name>`).
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { JsonStore } from "../storage/json-store.js";
import type { PasswordPolicy } from "./password-generator.js";
import { parsePasswordPolicy } from "./password-policy-parse.js";

interface StoredPasswordPolicy {
  /** The HCL as written, returned by reads. */
  policy: string;
}

const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

/**
 * Looks a password policy up by name, for backends that generate passwords. Resolves to
 * `undefined` when no policy has that name.
 */
export type PasswordPolicyLookup = (name: string) => Promise<PasswordPolicy | undefined>;

/** Password policies, parsed and validated when written so a stored policy always generates. */
export class PasswordPolicyStore {
  readonly #store: JsonStore;
  readonly #parsed = new Map<string, PasswordPolicy>();
  /** Bumped by every invalidation: a policy parsed from a read that straddles one is not kept. */
  #generation = 0;

  /** @param store - the policies' storage view */
  constructor(store: JsonStore) {
    this.#store = store;
  }

  /** Validates and stores `text` under `name`; a bad policy stores nothing. */
  async put(name: string, text: unknown): Promise<void> {
    checkName(name);
    const policy = parsePasswordPolicy(name, text);
    await this.#store.put(name, { policy: text as string } satisfies StoredPasswordPolicy);
    this.invalidate();
    this.#parsed.set(name, policy);
  }

  /** The HCL text of `name`, or `undefined`. */
  async text(name: string): Promise<string | undefined> {
    return (await this.#store.get<StoredPasswordPolicy>(name))?.policy;
  }

  /** The parsed policy `name`, or `undefined`. */
  async get(name: string): Promise<PasswordPolicy | undefined> {
    const cached = this.#parsed.get(name);
    if (cached) return cached;
    const generation = this.#generation;
    const text = await this.text(name);
    if (text === undefined) return undefined;
    const policy = parsePasswordPolicy(name, text);
    if (generation === this.#generation) this.#parsed.set(name, policy);
    return policy;
  }

  /** Every policy name, sorted. */
  async names(): Promise<string[]> {
    return (await this.#store.list()).sort();
  }

  /** Removes `name` (no error when absent). */
  async delete(name: string): Promise<void> {
    this.invalidate();
    await this.#store.delete(name);
    this.invalidate();
  }

  /**
   * Forgets every parsed policy (one changed, here or through another engine on the same
   * storage): the next lookups read storage.
   */
  invalidate(): void {
    this.#generation++;
    this.#parsed.clear();
  }

  /** A lookup function for backends. */
  get lookup(): PasswordPolicyLookup {
    return (name) => this.get(name);
  }
}

function checkName(name: string): void {
  if (!VALID_NAME.test(name)) {
    throw new InvalidRequestError(`password policy name ${JSON.stringify(name)} is invalid: use letters, digits, "_", ".", "@" and "-"`);
  }
}
