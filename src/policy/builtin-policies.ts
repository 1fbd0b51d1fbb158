/**
 * The built-in policies: `root`, which grants everything, and `default`, which every token gets
 * unless it asks not to and which lets a token manage itself.
 *
 * @module
 */
import { parsePolicy } from "./parse/parse-policy.js";
import type { Policy } from "./policy.js";

/**
 * The root policy. It has no rules: a {@link PolicyEvaluator} recognises it by its name and allows
 * every operation on every path, with `sudo`, as Vault does. It cannot be combined with other
 * policies, and {@link parsePolicy} refuses to define another policy named `"root"`.
 */
export const ROOT_POLICY: Policy = freezePolicy({ name: "root", rules: [], raw: "" });

/**
 * The text of the built-in `default` policy: Vault's default policy, limited to the features
 * vaultlet has (no cubbyhole, identity, response wrapping or tools endpoints).
 */
export const DEFAULT_POLICY_TEXT = `# The "default" policy: what every token may do to and about itself.

# Read its own properties (policies, TTL, metadata).
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

# Extend its own TTL, within its max TTL.
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Revoke itself (and its children and leases) when done.
path "auth/token/revoke-self" {
  capabilities = ["update"]
}

# Ask what it may do on a path.
path "sys/capabilities-self" {
  capabilities = ["update"]
}

# Renew a lease it holds, by lease_id in the body. sys/renew is the path older clients use.
path "sys/renew" {
  capabilities = ["update"]
}
path "sys/leases/renew" {
  capabilities = ["update"]
}

# Look up a lease's properties. This needs the lease id, which is not guessable, and reveals no secret.
path "sys/leases/lookup" {
  capabilities = ["update"]
}
`;

/** The built-in `default` policy, parsed from {@link DEFAULT_POLICY_TEXT}. */
export const DEFAULT_POLICY: Policy = freezePolicy(parsePolicy("default", DEFAULT_POLICY_TEXT));

/** Built-in policies are shared by every evaluator, so nobody may change them in place. */
function freezePolicy(policy: Policy): Policy {
  for (const rule of policy.rules) {
    Object.freeze(rule.capabilities);
    Object.freeze(rule);
  }
  Object.freeze(policy.rules);
  return Object.freeze(policy);
}
