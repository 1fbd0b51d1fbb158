/**
 * Reading Vault's password policy HCL:
 *
 * ```hcl
 * length = 20
 * rule "charset" {
 *   charset   = "abcdefghijklmnopqrstuvwxyz"
 *   min-chars = 1
 * }
 * ```
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import { parseHcl } from "../hcl/parser.js";
import { PolicySourceError } from "../hcl/source-error.js";
import type { ObjectEntry, ObjectNode } from "../hcl/syntax-tree.js";
import { validatePasswordPolicy, type CharsetRule, type PasswordPolicy } from "./password-generator.js";

/**
 * Parses and validates a password policy: it must be satisfiable and unable to emit a character
 * that needs SQL escaping.
 *
 * @throws InvalidRequestError naming the policy and the problem
 */
export function parsePasswordPolicy(name: string, text: unknown): PasswordPolicy {
  if (typeof text !== "string" || text.trim() === "") {
    throw new InvalidRequestError(`password policy ${JSON.stringify(name)}: "policy" must be the policy's HCL text`);
  }
  try {
    const policy = readPolicy(parseHcl(text));
    validatePasswordPolicy(policy);
    return policy;
  } catch (err) {
    if (err instanceof PolicySourceError) throw new InvalidRequestError(`password policy ${JSON.stringify(name)}: ${err.message}`);
    if (err instanceof InvalidRequestError) {
      throw new InvalidRequestError(`password policy ${JSON.stringify(name)}: ${err.message.replace(/^password policy: /, "")}`);
    }
    throw err;
  }
}

function readPolicy(root: ObjectNode): PasswordPolicy {
  let length: number | undefined;
  const rules: CharsetRule[] = [];
  for (const entry of root.entries) {
    if (entry.key === "length") length = numberOf(entry, "length");
    else if (entry.key === "rule") rules.push(readRule(entry));
    else throw new PolicySourceError(entry.line, `unknown field ${JSON.stringify(entry.key)}; a password policy has "length" and "rule" blocks`);
  }
  if (length === undefined) throw new InvalidRequestError("length is required");
  return { length, rules };
}

function readRule(entry: ObjectEntry): CharsetRule {
  if (entry.labels.length !== 1 || entry.labels[0] !== "charset" || entry.value.kind !== "object") {
    throw new PolicySourceError(entry.line, 'only rule "charset" { charset = "…" min-chars = N } blocks are supported');
  }
  let charset: string | undefined;
  let minChars = 0;
  for (const field of entry.value.entries) {
    if (field.key === "charset" && field.value.kind === "string") charset = field.value.value;
    else if (field.key === "min-chars") minChars = numberOf(field, "min-chars");
    else throw new PolicySourceError(field.line, `unknown or mistyped field ${JSON.stringify(field.key)} in a charset rule`);
  }
  if (charset === undefined) throw new PolicySourceError(entry.line, "a charset rule needs charset = \"…\"");
  return { charset, minChars };
}

function numberOf(entry: ObjectEntry, field: string): number {
  const value = entry.value;
  if (value.kind !== "number" || !Number.isInteger(value.value) || value.value < 0) {
    throw new PolicySourceError(entry.line, `${field} must be a non-negative integer`);
  }
  return value.value;
}
