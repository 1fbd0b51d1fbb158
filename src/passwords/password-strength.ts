/**
 * How hard a generated password is to guess: a lower bound of its entropy, from its policy alone.
 * A plugin may store a cheaper verifier for a password nobody can guess (see the PostgreSQL
 * plugin's SCRAM iterations): a slow hash only protects passwords an attacker could enumerate.
 *
 * @module
 */
import type { PasswordPolicy } from "./password-generator.js";

/**
 * The entropy, in bits, that every password `policy` generates has at least: each required
 * character drawn from its rule's charset, the rest from the union of the charsets (as
 * `generatePassword` does), the shuffle's own bits not counted.
 */
export function guaranteedEntropyBits(policy: PasswordPolicy): number {
  const union = new Set(policy.rules.flatMap((rule) => [...rule.charset]));
  let required = 0;
  let bits = 0;
  for (const rule of policy.rules) {
    required += rule.minChars;
    bits += rule.minChars * Math.log2(new Set(rule.charset).size);
  }
  return bits + Math.max(0, policy.length - required) * Math.log2(union.size);
}
