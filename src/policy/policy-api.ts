/**
 * Vault's ACL policy language: parse policies (HCL or JSON) and evaluate requests against them.
 *
 * @example
 * ```ts
 * import { PolicyEvaluator, parsePolicy, DEFAULT_POLICY } from "vaultlet";
 * const ev = new PolicyEvaluator([DEFAULT_POLICY, parsePolicy("apps", 'path "secret/*" { capabilities = ["read"] }')]);
 * ev.evaluate({ path: "secret/app", operation: "read" }); // { allowed: true, sudo: false, capabilities: ["read"] }
 * ```
 *
 * @module
 */
export type { Capability, LegacyPolicy } from "./capability.js";
export type { ParameterConstraints, PathRule, Policy } from "./policy.js";
export { parsePolicy } from "./parse/parse-policy.js";
export {
  PolicyEvaluator,
  type EvaluationRequest,
  type EvaluationResult,
  type PolicyOperation,
  type Refusal,
} from "./evaluator.js";
export { DEFAULT_POLICY, DEFAULT_POLICY_TEXT, ROOT_POLICY } from "./builtin-policies.js";
