/**
 * `parsePolicy`: Vault's ACL policy language, in its HCL and JSON forms, read into a {@link Policy}.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import { parseHcl } from "../../hcl/parser.js";
import { decodePathRule } from "./path-rule-decoder.js";
import type { PathRule, Policy } from "../policy.js";
import { PolicySourceError } from "../../hcl/source-error.js";
import { describeKind, type ObjectEntry, type ObjectNode, type ValueNode } from "../../hcl/syntax-tree.js";

/** A path block found in the text, before its body is decoded. */
interface PathBlock {
  pattern: string;
  body: ObjectNode;
  line: number;
}

/**
 * Parses an ACL policy written in Vault's HCL policy language or in its JSON form.
 *
 * HCL: `path "<pattern>" { capabilities = [...] }` blocks, with `#`, `//` and `/* *\/` comments.
 * JSON: `{"path": {"<pattern>": {"capabilities": [...]}}}`, where `"path"` may also hold a list of
 * such objects. Inside a block: `capabilities`, the legacy `policy` shorthand, `allowed_parameters`,
 * `denied_parameters`, `required_parameters`, `min_wrapping_ttl`, `max_wrapping_ttl`,
 * `subscribe_event_types` and `comment`; Vault Enterprise's `control_group` and `mfa_methods` are
 * refused, naming the key.
 *
 * @param name - the policy's name; `"root"` is reserved for the built-in {@link ROOT_POLICY}
 * @param text - the policy text
 * @returns the policy with its rules in the order written
 * @throws InvalidRequestError whose message names the policy, the line and the problem, e.g.
 *   `policy "apps": line 3: unknown capability "raed"`
 *
 * @example
 * ```ts
 * const apps = parsePolicy("apps", `
 *   path "database/creds/readonly" { capabilities = ["read"] }
 *   path "secret/+/config"         { capabilities = ["read", "list"] }
 * `);
 * ```
 */
export function parsePolicy(name: string, text: string): Policy {
  if (name.trim().toLowerCase() === "root") {
    throw new InvalidRequestError('policy "root" is built in and cannot be redefined; use ROOT_POLICY');
  }
  try {
    return { name, rules: decodePolicy(parseHcl(text)), raw: text };
  } catch (error) {
    if (error instanceof PolicySourceError) {
      throw new InvalidRequestError(`policy ${JSON.stringify(name)}: line ${error.line}: ${error.problem}`, { cause: error });
    }
    throw error;
  }
}

function decodePolicy(root: ObjectNode): PathRule[] {
  const rules: PathRule[] = [];
  for (const entry of root.entries) {
    if (entry.key === "path") {
      for (const block of pathBlocksOf(entry)) rules.push(decodePathRule(block.pattern, block.body, block.line));
    } else if (entry.key === "name") {
      // Vault accepts a top-level name and then ignores it in favour of the name the policy is
      // stored under; we do the same.
      if (entry.value.kind !== "string") throw new PolicySourceError(entry.line, `name must be a string, found ${describeKind(entry.value)}`);
    } else {
      throw new PolicySourceError(entry.line, `unknown key ${JSON.stringify(entry.key)}; a policy holds only path "<pattern>" { … } blocks`);
    }
  }
  return rules;
}

/**
 * The blocks of a `path` entry, whichever way they were written:
 * `path "p" { … }` (HCL), `path = { "p" = { … } }`, `"path": {"p": {…}}` or `"path": [{"p": {…}}, …]`.
 */
function pathBlocksOf(entry: ObjectEntry): PathBlock[] {
  if (entry.labels.length > 1) {
    throw new PolicySourceError(entry.line, `path takes one pattern, found ${entry.labels.length}: path "<pattern>" { … }`);
  }
  const [label] = entry.labels;
  if (label !== undefined) return [{ pattern: label, body: entry.value as ObjectNode, line: entry.line }];
  return patternsIn(entry.value, "path");
}

function patternsIn(value: ValueNode, field: string): PathBlock[] {
  if (value.kind === "list") return value.items.flatMap((item) => patternsIn(item, field));
  if (value.kind !== "object") {
    throw new PolicySourceError(value.line, `${field} must be an object of "<pattern>": { … } entries, found ${describeKind(value)}`);
  }
  return value.entries.flatMap((entry) => {
    if (entry.labels.length > 0) {
      throw new PolicySourceError(entry.line, `unexpected label after pattern ${JSON.stringify(entry.key)}`);
    }
    return bodiesOf(entry.key, entry.value).map((body) => ({ pattern: entry.key, body, line: entry.line }));
  });
}

/** A pattern's body is an object, or (in JSON) a list of objects that each become a rule. */
function bodiesOf(pattern: string, value: ValueNode): ObjectNode[] {
  const items = value.kind === "list" ? value.items : [value];
  return items.map((item) => {
    if (item.kind !== "object") {
      throw new PolicySourceError(item.line, `path ${JSON.stringify(pattern)} must be an object, found ${describeKind(item)}`);
    }
    return item;
  });
}
