/**
 * The syntax tree the policy parser builds from HCL or JSON text: plain values that remember the
 * line they were written on, so every later error can name it.
 *
 * @module
 */

/** A quoted string. */
export interface StringNode {
  kind: "string";
  value: string;
  line: number;
}

/** A number literal. */
export interface NumberNode {
  kind: "number";
  value: number;
  line: number;
}

/** `true` or `false`. */
export interface BoolNode {
  kind: "bool";
  value: boolean;
  line: number;
}

/** `[ a, b, … ]`. */
export interface ListNode {
  kind: "list";
  items: ValueNode[];
  line: number;
}

/** `{ … }`, an HCL body or a JSON object. */
export interface ObjectNode {
  kind: "object";
  entries: ObjectEntry[];
  line: number;
}

/**
 * One entry of an object: `key = value`, `"key": value`, or an HCL block `key "label" { … }` whose
 * labels are kept apart from the key.
 */
export interface ObjectEntry {
  key: string;
  labels: string[];
  value: ValueNode;
  line: number;
}

/** Any value. */
export type ValueNode = StringNode | NumberNode | BoolNode | ListNode | ObjectNode;

/** How a node's kind is named in error messages ("expected a list, found a string"). */
export function describeKind(node: ValueNode): string {
  switch (node.kind) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "bool":
      return "a boolean";
    case "list":
      return "a list";
    case "object":
      return "an object";
  }
}

/** Converts a node to the plain JavaScript value it denotes (used for parameter values). */
export function toPlainValue(node: ValueNode): unknown {
  switch (node.kind) {
    case "list":
      return node.items.map(toPlainValue);
    case "object":
      return Object.fromEntries(node.entries.map((entry) => [entry.key, toPlainValue(entry.value)]));
    default:
      return node.value;
  }
}
