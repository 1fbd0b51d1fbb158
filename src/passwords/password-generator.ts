/**
 * Password generation. The default policy is Vault's: 20 characters from `[A-Za-z0-9-]` with at
 * least one lower-case letter, one upper-case letter, one digit and one `-`.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import { randomCharCode, shuffle } from "../util/random.js";

/** One character-set rule of a password policy. */
export interface CharsetRule {
  /** The characters this rule draws from. */
  charset: string;
  /** How many characters of the password at least must come from `charset`. */
  minChars: number;
}

/** A password policy: a length and charset rules. The password uses the union of all charsets. */
export interface PasswordPolicy {
  /** Password length in characters. */
  length: number;
  /** Charset rules; at least one. */
  rules: CharsetRule[];
}

/**
 * Characters a generated password may never contain: each would need escaping inside a SQL string
 * literal or identifier, or a shell, so a template like `PASSWORD '{{password}}'` stays safe.
 */
export const FORBIDDEN_PASSWORD_CHARACTERS = `'"\\;$\`` as const;

/** Vault's default password policy. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  length: 20,
  rules: [
    { charset: "abcdefghijklmnopqrstuvwxyz", minChars: 1 },
    { charset: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", minChars: 1 },
    { charset: "0123456789", minChars: 1 },
    { charset: "-", minChars: 1 },
  ],
};

/**
 * Checks that a policy can be satisfied and can never emit a character that needs SQL escaping.
 *
 * @throws InvalidRequestError naming the problem
 */
export function validatePasswordPolicy(policy: PasswordPolicy): void {
  if (!Number.isInteger(policy.length) || policy.length < 4 || policy.length > 100) {
    throw new InvalidRequestError("password policy: length must be an integer from 4 to 100");
  }
  if (policy.rules.length === 0) throw new InvalidRequestError("password policy: at least one charset rule is required");
  for (const rule of policy.rules) {
    if (rule.charset.length === 0) throw new InvalidRequestError("password policy: a charset is empty");
    const bad = firstUnsafeCharacter(rule.charset);
    if (bad !== undefined) {
      throw new InvalidRequestError(
        `password policy: charset contains ${JSON.stringify(bad)}, which would need escaping in SQL; use printable ASCII without ' " \\ ; $ \``,
      );
    }
  }
  const minimum = policy.rules.reduce((sum, rule) => sum + rule.minChars, 0);
  if (minimum > policy.length) {
    throw new InvalidRequestError(
      `password policy: the rules need at least ${minimum} characters but length is ${policy.length}`,
    );
  }
}

/**
 * Generates a password that satisfies `policy`, drawing every character from `node:crypto` (see
 * `randomCharCode`). Required characters are drawn from their own charset, the rest from the union,
 * then shuffled, so every position is uniformly placed. Works on character codes (the charsets are
 * printable ASCII, as validated) so that a password costs one string, not one per character.
 */
export function generatePassword(policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): string {
  validatePasswordPolicy(policy);
  const union = unionOf(policy.rules);
  const codes: number[] = [];
  for (const rule of policy.rules) {
    for (let count = 0; count < rule.minChars; count++) codes.push(randomCharCode(rule.charset));
  }
  while (codes.length < policy.length) codes.push(randomCharCode(union));
  return String.fromCharCode(...shuffle(codes));
}

/** The first character of `charset` that a password must never contain, if any. */
function firstUnsafeCharacter(charset: string): string | undefined {
  for (const character of charset) {
    if (character < " " || character > "~" || FORBIDDEN_PASSWORD_CHARACTERS.includes(character)) return character;
  }
  return undefined;
}

/**
 * Every character of the rules' charsets once, in first-seen order. Runs on every password, so it
 * uses a table of the (printable ASCII, as validated) codes seen rather than sets and spreads.
 */
export function unionOf(rules: readonly CharsetRule[]): string {
  const seen = new Uint8Array(128);
  const codes: number[] = [];
  for (const rule of rules) {
    for (let index = 0; index < rule.charset.length; index++) {
      const code = rule.charset.charCodeAt(index);
      if (seen[code] === 0) {
        seen[code] = 1;
        codes.push(code);
      }
    }
  }
  return String.fromCharCode(...codes);
}
