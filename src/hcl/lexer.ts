/**
 * Splits policy text into tokens. One lexer serves both HCL and JSON policies, because JSON's
 * tokens are a subset of HCL's; the parser decides what may follow what.
 *
 * Supported: `#` and `//` line comments, `/* … *\/` block comments, double-quoted strings with
 * JSON escapes, numbers, bare identifiers (`path`, `true`), and the punctuation `{ } [ ] = : ,`.
 *
 * @module
 */
import { PolicySourceError } from "./source-error.js";

/** The kinds of token the lexer produces. */
export type TokenKind = "{" | "}" | "[" | "]" | "=" | ":" | "," | "string" | "number" | "identifier" | "eof";

/** A token and the line it starts on. */
export interface Token {
  kind: TokenKind;
  /** The decoded text: the string's content (escapes resolved), the number's digits, the identifier. */
  text: string;
  /** 1-based line number. */
  line: number;
}

const PUNCTUATION = new Set(["{", "}", "[", "]", "=", ":", ","]);
const IDENTIFIER_START = /[A-Za-z_]/;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Tokenizes policy text. The result always ends with an `eof` token.
 *
 * @throws PolicySourceError on an unterminated string or comment, or a character that cannot start
 *   a token
 */
export function tokenize(text: string): Token[] {
  return new Lexer(text).run();
}

class Lexer {
  readonly #text: string;
  #position = 0;
  #line = 1;
  readonly #tokens: Token[] = [];

  constructor(text: string) {
    this.#text = text;
  }

  run(): Token[] {
    for (;;) {
      this.#skipSpaceAndComments();
      if (this.#position >= this.#text.length) break;
      this.#tokens.push(this.#readToken());
    }
    this.#tokens.push({ kind: "eof", text: "", line: this.#line });
    return this.#tokens;
  }

  #readToken(): Token {
    const char = this.#text[this.#position]!;
    if (PUNCTUATION.has(char)) {
      this.#position++;
      return { kind: char as TokenKind, text: char, line: this.#line };
    }
    if (char === '"') return this.#readString();
    if (char === "-" || (char >= "0" && char <= "9")) return this.#readNumber();
    if (IDENTIFIER_START.test(char)) return this.#readIdentifier();
    if (char === "<" && this.#text.startsWith("<<", this.#position)) {
      throw new PolicySourceError(this.#line, "heredoc strings (<<EOF) are not supported in policies; use a quoted string");
    }
    throw new PolicySourceError(this.#line, `unexpected character ${JSON.stringify(char)}`);
  }

  #skipSpaceAndComments(): void {
    const text = this.#text;
    while (this.#position < text.length) {
      const char = text[this.#position]!;
      if (char === "\n") {
        this.#line++;
        this.#position++;
      } else if (char === " " || char === "\t" || char === "\r" || char === "\uFEFF") {
        this.#position++;
      } else if (char === "#" || text.startsWith("//", this.#position)) {
        this.#skipLineComment();
      } else if (text.startsWith("/*", this.#position)) {
        this.#skipBlockComment();
      } else {
        return;
      }
    }
  }

  #skipLineComment(): void {
    const end = this.#text.indexOf("\n", this.#position);
    this.#position = end === -1 ? this.#text.length : end;
  }

  #skipBlockComment(): void {
    const startLine = this.#line;
    const end = this.#text.indexOf("*/", this.#position + 2);
    if (end === -1) throw new PolicySourceError(startLine, 'unterminated comment: "/*" is never closed by "*/"');
    this.#line += countNewlines(this.#text, this.#position, end);
    this.#position = end + 2;
  }

  #readString(): Token {
    const startLine = this.#line;
    const text = this.#text;
    let value = "";
    let chunkStart = this.#position + 1;
    let position = chunkStart;
    for (;;) {
      const code = text.charCodeAt(position);
      // A raw newline inside quotes almost always means a missing closing quote, so we report it
      // at the line the string started on rather than wherever the next quote happens to be.
      if (Number.isNaN(code) || code === 10 /* \n */) {
        throw new PolicySourceError(startLine, "unterminated string: a closing '\"' is missing");
      }
      if (code === 34 /* " */) break;
      if (code === 92 /* \ */) {
        const [decoded, length] = this.#readEscape(position, startLine);
        value += text.slice(chunkStart, position) + decoded;
        position += length;
        chunkStart = position;
      } else {
        position++;
      }
    }
    this.#position = position + 1;
    return { kind: "string", text: value + text.slice(chunkStart, position), line: startLine };
  }

  /** Decodes the escape sequence at `position` (which holds the backslash): [decoded, length]. */
  #readEscape(position: number, line: number): [string, number] {
    const code = this.#text[position + 1];
    if (code !== undefined && Object.hasOwn(SIMPLE_ESCAPES, code)) return [SIMPLE_ESCAPES[code]!, 2];
    if (code === "u") {
      const hex = this.#text.slice(position + 2, position + 6);
      if (/^[0-9A-Fa-f]{4}$/.test(hex)) return [String.fromCharCode(parseInt(hex, 16)), 6];
    }
    const shown = code === undefined ? "\\" : `\\${code}`;
    throw new PolicySourceError(line, `invalid escape sequence ${JSON.stringify(shown)} in string`);
  }

  #readNumber(): Token {
    NUMBER.lastIndex = this.#position;
    const match = NUMBER.exec(this.#text);
    if (!match) throw new PolicySourceError(this.#line, `unexpected character "-"`);
    this.#position += match[0].length;
    return { kind: "number", text: match[0], line: this.#line };
  }

  #readIdentifier(): Token {
    IDENTIFIER.lastIndex = this.#position;
    const name = IDENTIFIER.exec(this.#text)![0];
    this.#position += name.length;
    return { kind: "identifier", text: name, line: this.#line };
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let index = from; index < to; index++) if (text.charCodeAt(index) === 10) count++;
  return count;
}
