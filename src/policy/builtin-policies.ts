/**
 * The built-in policies: `root`, which grants everything; `default`, which every token gets
 * unless it asks not to and which lets a token manage itself (editable, as in Vault); and
 * `response-wrapping`, the only policy of wrapping tokens.
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
 * vaultlet has (no cubbyhole, identity or tools endpoints). It is what `default` holds until it is
 * written (`sys/policy/default`), as in Vault; writing it replaces this text in storage.
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

# Wrap arbitrary values in a response-wrapping token.
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}

# Look up the creation time and TTL of a response-wrapping token.
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}

# Unwrap a response-wrapping token given in the body (the wrapping token's own policy also allows this).
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
`;

/**
 * The name of the policy every response-wrapping token carries, alone. Like `root` it is built
 * in, cannot be changed or deleted, and is not listed; unlike `root` it grants almost nothing.
 */
export const RESPONSE_WRAPPING_POLICY_NAME = "response-wrapping";

/**
 * The text of the `response-wrapping` policy: a wrapping token may unwrap itself. (Vault's also
 * grants its cubbyhole, which vaultlet does not have: the wrapped response is kept elsewhere.)
 */
export const RESPONSE_WRAPPING_POLICY_TEXT = `# The "response-wrapping" policy of single-use wrapping tokens.
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
`;

/** The built-in `response-wrapping` policy, parsed from {@link RESPONSE_WRAPPING_POLICY_TEXT}. */
export const RESPONSE_WRAPPING_POLICY: Policy = freezePolicy(parsePolicy(RESPONSE_WRAPPING_POLICY_NAME, RESPONSE_WRAPPING_POLICY_TEXT));

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
