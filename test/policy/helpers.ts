/** Small helpers shared by the policy tests. */
import { PolicyEvaluator, parsePolicy, type EvaluationRequest, type PolicyOperation } from "../../src/policy/policy-api.js";

/** An evaluator over one policy per HCL text, named `p0`, `p1`, … */
export function evaluatorFor(...texts: string[]): PolicyEvaluator {
  return new PolicyEvaluator(texts.map((text, index) => parsePolicy(`p${index}`, text)));
}

/** Whether `operation` on `path` (with optional data) is allowed. */
export function allows(
  evaluator: PolicyEvaluator,
  operation: PolicyOperation,
  path: string,
  data?: EvaluationRequest["data"],
): boolean {
  return evaluator.evaluate(data === undefined ? { path, operation } : { path, operation, data }).allowed;
}

/** The message of the error `action` throws, or a failure message when it does not throw. */
export function errorMessageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return "(no error was thrown)";
}
