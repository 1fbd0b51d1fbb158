/**
 * The lexer of the Go `text/template` subset that `username_template` accepts: text, and actions
 * `{{ … }}` (with `{{-`/`-}}` trim markers and `{{/* … *\/}}` comments) holding pipelines of fields,
 * literals, function names, `(`, `)` and `|`.
 *
 * @module
 */
import { InvalidRequestError } from "../../../errors.js";

/** One token of a template. */
export type Token =
  | { kind: "text"; value: string }
  | { kind: "open" }
  | { kind: "close" }
  | { kind: "field"; name: string }
  | { kind: "dot" }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "identifier"; name: string }
  | { kind: "pipe" }
  | { kind: "lparen" }
  | { kind: "rparen" };

/** Go's control keywords: the subset has no control structures, so each is refused by name. */
const KEYWORDS = new Set(["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil"]);

const ESCAPES: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "'": "'", a: "\x07", b: "\b", f: "\f", v: "\v" };

/**
 * Splits a template into tokens.
 *
 * @throws InvalidRequestError naming what cannot be read
 */
export function lex(template: string, field: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < template.length) {
    const open = template.indexOf("{{", position);
    if (open === -1) {
      tokens.push({ kind: "text", value: template.slice(position) });
      break;
    }
    const trimLeft = template.startsWith("{{-", open) && isSpace(template[open + 3]);
    // Trimmed by a scan back from `{{-`: linear, where a `/\s+$/` regex is quadratic in a long
    // run of spaces that does not reach the end.
    const text = template.slice(position, trimLeft ? skipSpaceBack(template, position, open) : open);
    if (text) tokens.push({ kind: "text", value: text });
    position = lexAction(template, open + (trimLeft ? 3 : 2), tokens, field);
  }
  return tokens;
}

/** Reads one action from `start` (after `{{`); returns the position after `}}` (and any trimmed space). */
function lexAction(template: string, start: number, tokens: Token[], field: string): number {
  let position = start;
  const fail = (what: string): never => {
    throw new InvalidRequestError(`${field}: ${what} at character ${position + 1}`);
  };
  if (template.startsWith("/*", skipSpace(template, position))) {
    const end = template.indexOf("*/", position);
    if (end === -1) fail("unterminated comment");
    const close = /^[ \t\r\n]*(-[ \t\r\n]*)?\}\}/.exec(template.slice(end + 2));
    if (!close) fail("a comment must end its action");
    return trimAfter(template, end + 2 + close![0].length, close![1] !== undefined);
  }
  tokens.push({ kind: "open" });
  for (;;) {
    position = skipSpace(template, position);
    if (position >= template.length) fail("unclosed action");
    const rest = template.slice(position);
    if (rest.startsWith("}}")) {
      tokens.push({ kind: "close" });
      return position + 2;
    }
    if (template.startsWith("{{", position)) {
      fail("unclosed action");
    }
    if (/^-\}\}/.test(rest) && /[ \t\r\n]/.test(template[position - 1] ?? "")) {
      tokens.push({ kind: "close" });
      return trimAfter(template, position + 3, true);
    }
    const char = template[position]!;
    if (char === "|") tokens.push({ kind: "pipe" });
    else if (char === "(") tokens.push({ kind: "lparen" });
    else if (char === ")") tokens.push({ kind: "rparen" });
    if ("|()".includes(char)) {
      position++;
      continue;
    }
    if (char === '"') {
      const [value, end] = readQuoted(template, position, fail);
      tokens.push({ kind: "string", value });
      position = end;
      continue;
    }
    if (char === "`") {
      const end = template.indexOf("`", position + 1);
      if (end === -1) fail("unterminated raw string");
      tokens.push({ kind: "string", value: template.slice(position + 1, end) });
      position = end + 1;
      continue;
    }
    const number = /^[+-]?(0x[0-9a-fA-F]+|\d+)(?![A-Za-z0-9_.])/.exec(rest);
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]) });
      position += number[0].length;
      continue;
    }
    const fieldName = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (fieldName) {
      tokens.push({ kind: "field", name: fieldName[1]! });
      position += fieldName[0].length;
      continue;
    }
    if (char === "." && !/^\.[A-Za-z0-9_]/.test(rest)) {
      tokens.push({ kind: "dot" });
      position++;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (word) {
      const name = word[0];
      if (KEYWORDS.has(name)) fail(`{{${name}}} is not supported (username templates have no control structures)`);
      if (name === "true" || name === "false") tokens.push({ kind: "bool", value: name === "true" });
      // Vault's function list writes `replace - _` unquoted; a lone `_` reads as that string.
      else if (name === "_") tokens.push({ kind: "string", value: "_" });
      else tokens.push({ kind: "identifier", name });
      position += name.length;
      continue;
    }
    // Likewise a lone `-`.
    if (char === "-" && /[ \t\r\n|)]/.test(template[position + 1] ?? "")) {
      tokens.push({ kind: "string", value: "-" });
      position++;
      continue;
    }
    if (char === "$") fail("variables ($x) are not supported");
    fail(`unexpected ${JSON.stringify(char)}`);
  }
}

function readQuoted(template: string, start: number, fail: (what: string) => never): [string, number] {
  let value = "";
  let position = start + 1;
  while (position < template.length) {
    const char = template[position]!;
    if (char === '"') return [value, position + 1];
    if (char === "\n") break;
    if (char === "\\") {
      const next = template[position + 1] ?? "";
      if (!(next in ESCAPES)) fail(`unknown escape \\${next} in a string`);
      value += ESCAPES[next];
      position += 2;
      continue;
    }
    value += char;
    position++;
  }
  return fail("unterminated string");
}

/** Go's template spaces: space, tab, carriage return, newline. */
function isSpace(char: string | undefined): boolean {
  return char === " " || char === "\t" || char === "\r" || char === "\n";
}

function skipSpace(template: string, position: number): number {
  while (position < template.length && isSpace(template[position])) position++;
  return position;
}

/** The start of the run of spaces that ends at `end` (not before `start`). */
function skipSpaceBack(template: string, start: number, end: number): number {
  while (end > start && isSpace(template[end - 1])) end--;
  return end;
}

function trimAfter(template: string, position: number, trim: boolean): number {
  return trim ? skipSpace(template, position) : position;
}
