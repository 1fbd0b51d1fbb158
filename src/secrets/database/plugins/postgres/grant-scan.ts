/**
 * What PostgreSQL statement templates grant, read from their text: the roles they make someone a
 * member of (`GRANT r TO …`, `CREATE ROLE … IN ROLE r`, `ALTER GROUP r ADD USER …`), the role
 * attributes they set that reach every file of the server (`SUPERUSER`, `REPLICATION`,
 * `CREATEROLE`), and the schemas they name. The role write checks these against the roles that
 * reach the engine's storage (`storage-reach-guard.ts`), so a plain grant is refused with a clear
 * 400 before anything runs.
 *
 * A reading of the text, not of what runs: a grant built at run time (`EXECUTE format(…)` in a
 * `DO` block) escapes it, and the guard in the creation's transaction is what stops that one.
 * String and dollar-quoted bodies are read as SQL too (two levels deep), so a `DO` block that
 * spells its grant out is caught here. Linear in the text's length per level: one pass of a
 * tokenizer that never backtracks.
 *
 * @module
 */
import { splitStatements } from "../../sql-statements.js";

/** Something a statement grants or names. */
export type GrantFinding =
  /** A role someone becomes a member of; `text` is how the statement says it. */
  | { kind: "role"; name: string; text: string }
  /** The connection's own user as `CURRENT_USER`, `CURRENT_ROLE` or `SESSION_USER`. */
  | { kind: "current-user"; text: string }
  /** A role attribute, upper case (`SUPERUSER`). */
  | { kind: "attribute"; name: "SUPERUSER" | "REPLICATION" | "CREATEROLE"; text: string }
  /** A schema the statement names (`s.t`, `SCHEMA s`). */
  | { kind: "schema"; name: string; text: string };

/** How deep string bodies are read as SQL (a `DO` body, a string inside it). */
const MAX_NESTING = 2;

/**
 * How many tokens of one `GRANT`, `CREATE ROLE` or `ALTER ROLE` are read: enough for a list of a
 * hundred roles and every option (a longer one is read as far as this goes).
 */
const MAX_CLAUSE_TOKENS = 256;

type Token =
  | { type: "word"; value: string; quoted: boolean; raw: string }
  | { type: "string"; value: string }
  | { type: "punct"; value: string };

/** Everything `statements` (templates, split or not) grant or name, in order of appearance. */
export function scanGrants(statements: readonly string[]): GrantFinding[] {
  const findings: GrantFinding[] = [];
  for (const statement of statements) scanText(statement, 0, findings);
  return findings;
}

function scanText(text: string, depth: number, findings: GrantFinding[]): void {
  for (const statement of splitStatements(text)) {
    const tokens = tokenize(statement);
    scanStatement(tokens, findings);
    if (depth < MAX_NESTING) for (const token of tokens) if (token.type === "string") scanText(token.value, depth + 1, findings);
  }
}

const ATTRIBUTES = new Set(["superuser", "replication", "createrole"]);
const CURRENT_USERS = new Set(["current_user", "current_role", "session_user"]);

/**
 * Every grant in one statement, wherever it starts: a plain statement's first word, or a word
 * inside a PL/pgSQL body (`BEGIN GRANT … ; END`, `IF … THEN CREATE ROLE …`).
 */
function scanStatement(tokens: Token[], findings: GrantFinding[]): void {
  const words = tokens.map((token) => (token.type === "word" && !token.quoted ? token.value : undefined));
  scanSchemas(tokens, words, findings);
  for (let start = 0; start < tokens.length; start++) {
    const word = words[start];
    if (word === "grant" || word === "create" || word === "alter") {
      // A window, so that text made of nothing but GRANTs stays linear.
      const end = start + MAX_CLAUSE_TOKENS;
      scanFrom(tokens.slice(start, end), words.slice(start, end), findings);
    }
  }
}

function scanFrom(tokens: Token[], words: Array<string | undefined>, findings: GrantFinding[]): void {
  const [first, second] = [words[0], words[1]];
  if (first === "grant") scanGrant(tokens, words, findings);
  else if (first === "create" && (second === "role" || second === "group" || (second === "user" && words[2] !== "mapping"))) scanRoleOptions(tokens, words, 3, findings);
  else if (first === "alter" && (second === "role" || second === "user")) {
    // `ALTER ROLE x SET …`, `RESET …`, `RENAME TO …`, `IN DATABASE …` set no attribute.
    if (!["set", "reset", "rename", "in"].includes(words[3] ?? "")) scanRoleOptions(tokens, words, 3, findings);
  } else if (first === "alter" && second === "group" && words[3] === "add" && (words[4] === "user" || words[4] === "role")) {
    roleAt(tokens, 2, findings);
  }
}

/** `GRANT roles TO …` (a role grant: no `ON`); a privilege grant names only its objects' schemas. */
function scanGrant(tokens: Token[], words: Array<string | undefined>, findings: GrantFinding[]): void {
  let depth = 0;
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === "punct") depth += token.value === "(" ? 1 : token.value === ")" ? -1 : 0;
    if (depth === 0 && (words[i] === "on" || words[i] === "to")) {
      if (words[i] === "on") return; // privileges on objects
      break;
    }
  }
  for (let i = 1; i < tokens.length && words[i] !== "to"; i++) {
    if (tokens[i]!.type === "word" && (i === 1 || isComma(tokens[i - 1]))) roleAt(tokens, i, findings);
  }
}

/** The options of `CREATE ROLE`/`ALTER ROLE` from `start`: `IN ROLE`/`IN GROUP` lists and attributes. */
function scanRoleOptions(tokens: Token[], words: Array<string | undefined>, start: number, findings: GrantFinding[]): void {
  for (let i = start; i < tokens.length; i++) {
    const word = words[i];
    if (word !== undefined && ATTRIBUTES.has(word)) {
      findings.push({ kind: "attribute", name: word.toUpperCase() as "SUPERUSER", text: (tokens[i] as { raw: string }).raw });
    }
    if (word === "in" && (words[i + 1] === "role" || words[i + 1] === "group")) {
      for (let j = i + 2; j < tokens.length && tokens[j]!.type === "word"; j += 2) {
        roleAt(tokens, j, findings);
        if (!isComma(tokens[j + 1])) break;
      }
    }
  }
}

function roleAt(tokens: Token[], i: number, findings: GrantFinding[]): void {
  const token = tokens[i];
  if (token?.type !== "word") return;
  if (!token.quoted && CURRENT_USERS.has(token.value)) findings.push({ kind: "current-user", text: token.raw });
  else findings.push({ kind: "role", name: token.value, text: token.raw });
}

/** A name followed by `.` (`s.t`), or after `SCHEMA`/`SCHEMAS` (`ON SCHEMA s`, `IN SCHEMA s, t`). */
function scanSchemas(tokens: Token[], words: Array<string | undefined>, findings: GrantFinding[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type !== "word") continue;
    const next = tokens[i + 1];
    if (next?.type === "punct" && next.value === ".") findings.push({ kind: "schema", name: token.value, text: token.raw });
    else if (words[i] === "schema" || words[i] === "schemas") {
      for (let j = i + 1; j < tokens.length && tokens[j]!.type === "word"; j += 2) {
        const name = tokens[j] as Extract<Token, { type: "word" }>;
        findings.push({ kind: "schema", name: name.value, text: name.raw });
        if (!isComma(tokens[j + 1])) break;
      }
    }
  }
}

function isComma(token: Token | undefined): boolean {
  return token?.type === "punct" && token.value === ",";
}

const WORD_START = /[A-Za-z_\u0080-\uFFFF]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uFFFF]/;
const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/y;

/**
 * The tokens of one statement: words (unquoted ones folded to lower case, as PostgreSQL folds
 * ASCII letters; quoted ones exact), strings (their contents, unescaped), and single characters.
 * Comments are dropped. An unterminated quote or comment runs to the end.
 */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(ch)) i++;
    else if (ch === "-" && next === "-") i = lineEnd(sql, i);
    else if (ch === "/" && next === "*") i = blockCommentEnd(sql, i);
    else if (ch === "'") i = readString(sql, i, false, tokens);
    else if ((ch === "E" || ch === "e") && next === "'" && (i === 0 || !WORD_PART.test(sql[i - 1]!))) i = readString(sql, i + 1, true, tokens);
    else if (ch === '"') i = readQuotedWord(sql, i, tokens);
    else if (ch === "$" && (i === 0 || !WORD_PART.test(sql[i - 1]!))) i = readDollar(sql, i, tokens);
    else if (WORD_START.test(ch)) {
      let j = i + 1;
      while (j < sql.length && WORD_PART.test(sql[j]!)) j++;
      const raw = sql.slice(i, j);
      tokens.push({ type: "word", value: raw.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()), quoted: false, raw });
      i = j;
    } else {
      tokens.push({ type: "punct", value: ch });
      i++;
    }
  }
  return tokens;
}

function lineEnd(sql: string, i: number): number {
  const end = sql.indexOf("\n", i);
  return end === -1 ? sql.length : end + 1;
}

function blockCommentEnd(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql[j] === "/" && sql[j + 1] === "*") {
      depth++;
      j += 2;
    } else if (sql[j] === "*" && sql[j + 1] === "/") {
      j += 2;
      if (--depth === 0) return j;
    } else j++;
  }
  return sql.length;
}

function readString(sql: string, quote: number, backslashEscapes: boolean, tokens: Token[]): number {
  let value = "";
  let j = quote + 1;
  while (j < sql.length) {
    const ch = sql[j]!;
    if (backslashEscapes && ch === "\\" && j + 1 < sql.length) {
      value += sql[j + 1];
      j += 2;
    } else if (ch === "'" && sql[j + 1] === "'") {
      value += "'";
      j += 2;
    } else if (ch === "'") {
      j++;
      break;
    } else {
      value += ch;
      j++;
    }
  }
  tokens.push({ type: "string", value });
  return j;
}

function readQuotedWord(sql: string, quote: number, tokens: Token[]): number {
  let value = "";
  let j = quote + 1;
  while (j < sql.length) {
    if (sql[j] === '"' && sql[j + 1] === '"') {
      value += '"';
      j += 2;
    } else if (sql[j] === '"') {
      j++;
      break;
    } else value += sql[j++];
  }
  tokens.push({ type: "word", value, quoted: true, raw: sql.slice(quote, j) });
  return j;
}

/** `$tag$ … $tag$` as a string; a `$` that opens no tag (`$1`) is a character. */
function readDollar(sql: string, i: number, tokens: Token[]): number {
  DOLLAR_TAG.lastIndex = i;
  const match = DOLLAR_TAG.exec(sql);
  if (!match) {
    tokens.push({ type: "punct", value: "$" });
    return i + 1;
  }
  const tag = match[0];
  const end = sql.indexOf(tag, i + tag.length);
  tokens.push({ type: "string", value: sql.slice(i + tag.length, end === -1 ? sql.length : end) });
  return end === -1 ? sql.length : end + tag.length;
}
