/**
 * Parses policy text into a {@link ObjectNode}. One grammar covers the HCL subset Vault policies use
 * and the JSON form, because JSON is HCL with quoted keys, `:` and mandatory commas:
 *
 * ```text
 * document = object | body EOF
 * body     = { entry [","] }
 * entry    = key { label } "{" body "}"        (an HCL block, e.g. path "a/*" { … })
 *          | key ("=" | ":") value
 * value    = string | number | true | false | list | "{" body "}"
 * list     = "[" [ value { "," value } [","] ] "]"
 * ```
 *
 * Entries need no separator, so `path "a" { } path "b" { }` on one line is fine, as in HCL.
 *
 * @module
 */
import { tokenize, type Token } from "./lexer.js";
import type { ListNode, ObjectEntry, ObjectNode, ValueNode } from "./syntax-tree.js";
import { PolicySourceError } from "./source-error.js";

/**
 * How deep braces and brackets may nest in policy text: 32 levels. A Vault policy needs three
 * (`path "…" { allowed_parameters = { "k" = [] } }`); the bound keeps the recursive parser, and
 * every walk over its tree, far from the stack's limit.
 */
export const MAX_HCL_DEPTH = 32;

/**
 * Parses HCL or JSON policy text into its top-level object.
 *
 * @throws PolicySourceError naming the line of the first problem (nesting past {@link MAX_HCL_DEPTH} included)
 */
export function parseHcl(text: string): ObjectNode {
  return new Parser(tokenize(text)).parseDocument();
}

class Parser {
  readonly #tokens: Token[];
  #index = 0;
  /** How many `{` and `[` enclose the current token. */
  #depth = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  parseDocument(): ObjectNode {
    const first = this.#peek();
    // A document that opens with "{" is JSON (HCL does the same detection).
    const root = first.kind === "{" ? this.#parseBracedObject() : this.#parseBody(first.line, "eof");
    const rest = this.#peek();
    if (rest.kind !== "eof") throw new PolicySourceError(rest.line, `unexpected ${describe(rest)} after the end of the policy`);
    return root;
  }

  #parseBody(line: number, end: "}" | "eof"): ObjectNode {
    const entries: ObjectEntry[] = [];
    for (;;) {
      while (this.#peek().kind === ",") this.#next();
      const token = this.#peek();
      if (token.kind === end) return { kind: "object", entries, line };
      if (token.kind === "eof") {
        throw new PolicySourceError(line, 'unterminated block: "{" is never closed by "}"');
      }
      entries.push(this.#parseEntry());
    }
  }

  #parseEntry(): ObjectEntry {
    const keyToken = this.#next();
    if (keyToken.kind !== "identifier" && keyToken.kind !== "string") {
      throw new PolicySourceError(keyToken.line, `expected a key, found ${describe(keyToken)}`);
    }
    const labels: string[] = [];
    while (this.#peek().kind === "string") labels.push(this.#next().text);
    const next = this.#peek();
    if (next.kind === "{") {
      return { key: keyToken.text, labels, value: this.#parseBracedObject(), line: keyToken.line };
    }
    if (labels.length === 0 && (next.kind === "=" || next.kind === ":")) {
      this.#next();
      return { key: keyToken.text, labels, value: this.#parseValue(), line: keyToken.line };
    }
    const expected = labels.length === 0 ? '"=" or "{"' : '"{"';
    throw new PolicySourceError(next.line, `expected ${expected} after ${JSON.stringify(keyToken.text)}, found ${describe(next)}`);
  }

  #parseValue(): ValueNode {
    const token = this.#peek();
    switch (token.kind) {
      case "string":
        this.#next();
        return { kind: "string", value: token.text, line: token.line };
      case "number":
        this.#next();
        return { kind: "number", value: Number(token.text), line: token.line };
      case "identifier":
        if (token.text === "true" || token.text === "false") {
          this.#next();
          return { kind: "bool", value: token.text === "true", line: token.line };
        }
        throw new PolicySourceError(token.line, `expected a value, found ${describe(token)}; quote strings`);
      case "[":
        return this.#parseList();
      case "{":
        return this.#parseBracedObject();
      default:
        throw new PolicySourceError(token.line, `expected a value, found ${describe(token)}`);
    }
  }

  #parseBracedObject(): ObjectNode {
    const open = this.#enter();
    const body = this.#parseBody(open.line, "}");
    this.#next();
    this.#depth--;
    return body;
  }

  #parseList(): ListNode {
    const open = this.#enter();
    const items: ValueNode[] = [];
    for (;;) {
      const token = this.#peek();
      if (token.kind === "]") break;
      if (token.kind === "eof") throw new PolicySourceError(open.line, 'unterminated list: "[" is never closed by "]"');
      items.push(this.#parseValue());
      const separator = this.#peek();
      if (separator.kind === ",") this.#next();
      else if (separator.kind !== "]") {
        if (separator.kind === "eof") throw new PolicySourceError(open.line, 'unterminated list: "[" is never closed by "]"');
        throw new PolicySourceError(separator.line, `expected "," or "]" in list, found ${describe(separator)}`);
      }
    }
    this.#next();
    this.#depth--;
    return { kind: "list", items, line: open.line };
  }

  /** Consumes an opening `{` or `[`, one level deeper, refused past {@link MAX_HCL_DEPTH}. */
  #enter(): Token {
    const open = this.#next();
    if (++this.#depth > MAX_HCL_DEPTH) throw new PolicySourceError(open.line, `nesting deeper than ${MAX_HCL_DEPTH} levels`);
    return open;
  }

  #peek(): Token {
    return this.#tokens[this.#index]!;
  }

  #next(): Token {
    const token = this.#tokens[this.#index]!;
    if (token.kind !== "eof") this.#index++;
    return token;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case "eof":
      return "the end of the text";
    case "string":
      return `the string ${JSON.stringify(token.text)}`;
    case "number":
      return `the number ${token.text}`;
    case "identifier":
      return `${JSON.stringify(token.text)}`;
    default:
      return `"${token.kind}"`;
  }
}
