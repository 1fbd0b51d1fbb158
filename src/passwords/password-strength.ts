/**
 * How hard a generated password is to guess: a lower bound of its entropy, from its policy alone.
 * A plugin may store a cheaper verifier for a password nobody can guess (see the PostgreSQL
 * plugin's SCRAM iterations): a slow hash only protects passwords an attacker could enumerate.
 *
 * @module
 */
import { unionOf, type PasswordPolicy } from "./password-generator.js";

/**
 * The entropy, in bits, that every password `policy` generates has at least: each required
 * character drawn from its rule's charset, the rest from the union of the charsets (as
 * `generatePassword` does), the shuffle's own bits not counted.
 */
export function guaranteedEntropyBits(policy: PasswordPolicy): number {
  const cached = computed.get(policy);
  if (cached !== undefined) return cached;
  let required = 0;
  let bits = 0;
  for (const rule of policy.rules) {
    required += rule.minChars;
    bits += rule.minChars * Math.log2(unionOf([rule]).length);
  }
  const result = bits + Math.max(0, policy.length - required) * Math.log2(unionOf(policy.rules).length);
  computed.set(policy, result);
  return result;
}

/** Per policy object: it runs on every credential, and a policy's record is read once and kept. */
const computed = new WeakMap<PasswordPolicy, number>();
