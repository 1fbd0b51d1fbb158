/**
 * Turns the body of one `path "<pattern>" { … }` block into a {@link PathRule}, checking every key,
 * type and value the way Vault's policy parser does, and naming the line of anything wrong.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import { parseOptionalDuration } from "../../util/ttl.js";
import { expandLegacyPolicy, isCapability, isLegacyPolicy, type Capability } from "../capability.js";
import type { ParameterConstraints, PathRule } from "../policy.js";
import { PolicySourceError } from "../../hcl/source-error.js";
import { describeKind, toPlainValue, type ObjectEntry, type ObjectNode, type ValueNode } from "../../hcl/syntax-tree.js";

/** Keys Vault accepts in a path block that only Vault Enterprise acts on; accepting and ignoring them would grant more than the author meant. */
const ENTERPRISE_KEYS = new Set(["mfa_methods", "control_group"]);

/** Decodes one key of a path block into the draft. */
type KeyDecoder = (draft: PathRuleDraft, entry: ObjectEntry) => void;

/** A rule being assembled; `legacyPolicy` is folded into the capabilities at the end. */
interface PathRuleDraft {
  rule: PathRule;
  legacyCapabilities: readonly Capability[];
}

const KEY_DECODERS: Readonly<Record<string, KeyDecoder>> = {
  comment: (draft, entry) => {
    draft.rule.comment = expectString(entry.value, entry.key);
  },
  policy: (draft, entry) => {
    draft.legacyCapabilities = decodeLegacyPolicy(entry.value);
  },
  capabilities: (draft, entry) => {
    draft.rule.capabilities = decodeCapabilities(entry.value);
  },
  allowed_parameters: (draft, entry) => {
    draft.rule.allowedParameters = decodeParameterConstraints(entry);
  },
  denied_parameters: (draft, entry) => {
    draft.rule.deniedParameters = decodeParameterConstraints(entry);
  },
  required_parameters: (draft, entry) => {
    draft.rule.requiredParameters = decodeRequiredParameters(entry.value);
  },
  subscribe_event_types: (draft, entry) => {
    draft.rule.subscribeEventTypes = expectList(entry.value, entry.key).map((item) => expectString(item, entry.key));
  },
  min_wrapping_ttl: (draft, entry) => {
    draft.rule.minWrappingTtl = decodeWrappingTtl(entry);
  },
  max_wrapping_ttl: (draft, entry) => {
    draft.rule.maxWrappingTtl = decodeWrappingTtl(entry);
  },
};

/**
 * Decodes one path block.
 *
 * @param pattern - the pattern as written (a leading `/` is removed, as Vault does)
 * @param body - the block's body
 * @param line - the line of the block, for errors about the pattern itself
 * @throws PolicySourceError on any unknown key, wrong type or invalid value
 */
export function decodePathRule(pattern: string, body: ObjectNode, line: number): PathRule {
  const normalized = normalizePattern(pattern, line);
  const draft: PathRuleDraft = { rule: { pattern: normalized, capabilities: [] }, legacyCapabilities: [] };
  const seen = new Set<string>();
  for (const entry of body.entries) {
    decodeKey(draft, entry, normalized, seen);
  }
  draft.rule.capabilities = combineCapabilities(draft.rule.capabilities, draft.legacyCapabilities);
  checkWrappingTtlOrder(draft.rule, body.line);
  return draft.rule;
}

function decodeKey(draft: PathRuleDraft, entry: ObjectEntry, pattern: string, seen: Set<string>): void {
  const where = `in path ${JSON.stringify(pattern)}`;
  if (ENTERPRISE_KEYS.has(entry.key)) {
    throw new PolicySourceError(entry.line, `${JSON.stringify(entry.key)} ${where} is a Vault Enterprise feature that vaultlet does not support`);
  }
  const decoder = Object.hasOwn(KEY_DECODERS, entry.key) ? KEY_DECODERS[entry.key] : undefined;
  if (!decoder) {
    const known = Object.keys(KEY_DECODERS).join(", ");
    throw new PolicySourceError(entry.line, `unknown key ${JSON.stringify(entry.key)} ${where}; a path block takes ${known}`);
  }
  if (seen.has(entry.key)) throw new PolicySourceError(entry.line, `duplicate key ${JSON.stringify(entry.key)} ${where}`);
  if (entry.labels.length > 0) throw new PolicySourceError(entry.line, `${JSON.stringify(entry.key)} takes a value ("${entry.key} = …"), not a block label`);
  seen.add(entry.key);
  decoder(draft, entry);
}

function normalizePattern(pattern: string, line: number): string {
  // Vault paths start after the "/" of the API path, so a leading "/" in a pattern means nothing.
  const normalized = pattern.startsWith("/") ? pattern.slice(1) : pattern;
  if (normalized.includes("+*")) {
    throw new PolicySourceError(line, `path ${JSON.stringify(normalized)}: invalid use of wildcards ("+*" is forbidden)`);
  }
  return normalized;
}

function decodeLegacyPolicy(value: ValueNode): readonly Capability[] {
  const policy = expectString(value, "policy");
  if (!isLegacyPolicy(policy)) {
    throw new PolicySourceError(value.line, `invalid policy ${JSON.stringify(policy)}; use "deny", "read", "write" or "sudo", or capabilities = [...]`);
  }
  return expandLegacyPolicy(policy);
}

function decodeCapabilities(value: ValueNode): Capability[] {
  return expectList(value, "capabilities").map((item) => {
    const name = expectString(item, "capabilities");
    if (!isCapability(name)) throw new PolicySourceError(item.line, `unknown capability ${JSON.stringify(name)}`);
    return name;
  });
}

/** Capabilities written plus those of a legacy shorthand, de-duplicated; `deny` drops the rest, as in Vault. */
function combineCapabilities(written: readonly Capability[], legacy: readonly Capability[]): Capability[] {
  const combined = [...new Set([...written, ...legacy])];
  return combined.includes("deny") ? ["deny"] : combined;
}

function decodeParameterConstraints(entry: ObjectEntry): ParameterConstraints {
  const object = expectObject(entry.value, entry.key);
  const constraints: ParameterConstraints = Object.create(null) as ParameterConstraints;
  for (const parameter of object.entries) {
    if (parameter.labels.length > 0) {
      throw new PolicySourceError(parameter.line, `${entry.key}: write ${JSON.stringify(parameter.key)} = [ … ], not a block`);
    }
    checkParameterKey(parameter.key, parameter.line, entry.key, true);
    // Vault compares parameter names case-insensitively by lower-casing both sides.
    const key = parameter.key.toLowerCase();
    if (Object.hasOwn(constraints, key)) {
      throw new PolicySourceError(parameter.line, `${entry.key}: duplicate parameter ${JSON.stringify(parameter.key)} (names are case-insensitive)`);
    }
    constraints[key] = expectList(parameter.value, `${entry.key}: ${JSON.stringify(parameter.key)}`).map(toPlainValue);
  }
  return constraints;
}

function decodeRequiredParameters(value: ValueNode): string[] {
  const names = expectList(value, "required_parameters").map((item) => {
    const name = expectString(item, "required_parameters");
    checkParameterKey(name, item.line, "required_parameters", false);
    return name;
  });
  return [...new Set(names)];
}

/**
 * Vault's rules for parameter names: `*` alone means "every parameter"; a name starting with `/`
 * is a JSON pointer, which may end in `/*`; no other name may hold a `*`.
 */
function checkParameterKey(key: string, line: number, field: string, wildcardPermitted: boolean): void {
  if (key.startsWith("/") && /~(?![01])/.test(key)) {
    throw new PolicySourceError(line, `${field}: parameter key ${JSON.stringify(key)}: invalid JSON pointer ("~" must be followed by 0 or 1)`);
  }
  if (!key.includes("*")) return;
  if (!wildcardPermitted) {
    throw new PolicySourceError(line, `${field}: parameter key ${JSON.stringify(key)}: wildcard is not permitted here`);
  }
  const isTailPointerWildcard = key.startsWith("/") && key.endsWith("/*") && !key.slice(0, -2).includes("*");
  if (key !== "*" && !isTailPointerWildcard) {
    throw new PolicySourceError(line, `${field}: parameter key ${JSON.stringify(key)} cannot contain non-tail wildcards`);
  }
}

function decodeWrappingTtl(entry: ObjectEntry): number | undefined {
  const { value } = entry;
  if (value.kind !== "string" && value.kind !== "number") {
    throw new PolicySourceError(value.line, `${entry.key} must be a duration such as "1h" or a number of seconds, found ${describeKind(value)}`);
  }
  try {
    const seconds = parseOptionalDuration(value.value, entry.key);
    // 0 means "no limit" in Vault, so we keep it unset rather than as a limit of zero.
    return seconds === 0 ? undefined : seconds;
  } catch (error) {
    if (error instanceof InvalidRequestError) throw new PolicySourceError(value.line, error.message);
    throw error;
  }
}

function checkWrappingTtlOrder(rule: PathRule, line: number): void {
  const { minWrappingTtl, maxWrappingTtl } = rule;
  if (minWrappingTtl !== undefined && maxWrappingTtl !== undefined && maxWrappingTtl < minWrappingTtl) {
    throw new PolicySourceError(line, "max_wrapping_ttl cannot be less than min_wrapping_ttl");
  }
}

function expectString(value: ValueNode, field: string): string {
  if (value.kind !== "string") throw new PolicySourceError(value.line, `${field} must be a string, found ${describeKind(value)}`);
  return value.value;
}

function expectList(value: ValueNode, field: string): ValueNode[] {
  if (value.kind !== "list") throw new PolicySourceError(value.line, `${field} must be a list, found ${describeKind(value)}`);
  return value.items;
}

function expectObject(value: ValueNode, field: string): ObjectNode {
  if (value.kind !== "object") throw new PolicySourceError(value.line, `${field} must be an object, found ${describeKind(value)}`);
  return value;
}
