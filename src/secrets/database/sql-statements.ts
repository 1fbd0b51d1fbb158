/**
 * Splitting SQL text into statements, aware of what a `;` inside SQL can mean.
 *
 * A naive `split(";")` breaks `DO $$ BEGIN …; END $$`, `'a;b'` and `"odd;name"`. This splitter
 * tracks single-quoted strings (with `''` and `E'\''` escapes), double-quoted identifiers,
 * dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`), `--` line comments and nested `/* *\/` comments,
 * and splits only on a top-level `;`.
 *
 * Linear in the text's length whatever it holds (an unclosed `/*`, quote or `$tag$` runs to the end
 * of the text once; nothing is scanned twice), so hostile input cannot stall the event loop; the
 * figures are in docs/benchmarks.md (`bench/sql-split.ts`).
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";

/**
 * The most characters one statements field (e.g. a role's `creation_statements`, all items
 * together) may hold: 64 KiB. Real statements are a few hundred characters; the bound keeps a role
 * record, and what the engine sends to the database, small.
 */
export const MAX_STATEMENTS_LENGTH = 64 * 1024;

/**
 * Splits SQL text into statements (without their trailing `;`), dropping empty ones.
 *
 * @example
 * ```ts
 * splitStatements(`CREATE ROLE "a"; DO $$ BEGIN PERFORM 1; END $$;`)
 * // → ['CREATE ROLE "a"', 'DO $$ BEGIN PERFORM 1; END $$']
 * ```
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    if (sql.charCodeAt(i) === SEMICOLON) {
      pushStatement(statements, sql, start, i);
      start = ++i;
    } else {
      i = skipToken(sql, i);
    }
  }
  pushStatement(statements, sql, start, sql.length);
  return statements;
}

const SEMICOLON = 59;

/** Adds `sql[start, end)` trimmed, unless it is empty or only comments. */
function pushStatement(statements: string[], sql: string, start: number, end: number): void {
  if (start === end) return; // `;;`: skipped without a slice
  const statement = sql.slice(start, end).trim();
  if (statement.length > 0 && !isOnlyComments(statement)) statements.push(statement);
}

/**
 * Flattens statements given as a string or a list (each item may itself hold several).
 *
 * @throws InvalidRequestError when the items hold more than {@link MAX_STATEMENTS_LENGTH} characters in all
 */
export function normalizeStatements(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === "string" ? [value] : value;
  const length = items.reduce((sum, item) => sum + item.length, 0);
  if (length > MAX_STATEMENTS_LENGTH) {
    throw new InvalidRequestError(`statements hold ${length} characters; at most ${MAX_STATEMENTS_LENGTH} are accepted`);
  }
  return items.flatMap(splitStatements);
}

/** Returns the index just after the token starting at `i` (a quoted run, a comment, or one char). */
function skipToken(sql: string, i: number): number {
  const ch = sql[i]!;
  const next = sql[i + 1];
  if (ch === "'") return skipQuoted(sql, i, "'", isEscapeString(sql, i));
  if (ch === '"') return skipQuoted(sql, i, '"', false);
  if (ch === "-" && next === "-") return skipLineComment(sql, i);
  if (ch === "/" && next === "*") return skipBlockComment(sql, i);
  if (ch === "$") return skipDollarQuoted(sql, i);
  return i + 1;
}

/** True for `E'…'` strings, where a backslash escapes the next character. */
function isEscapeString(sql: string, quoteIndex: number): boolean {
  const prefix = sql[quoteIndex - 1];
  const beforePrefix = sql[quoteIndex - 2];
  return (prefix === "E" || prefix === "e") && (beforePrefix === undefined || !/[\w$]/.test(beforePrefix));
}

function skipQuoted(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const ch = sql[j]!;
    if (backslashEscapes && ch === "\\") j += 2;
    else if (ch === quote && sql[j + 1] === quote) j += 2;
    else if (ch === quote) return j + 1;
    else j++;
  }
  return sql.length;
}

function skipLineComment(sql: string, i: number): number {
  const end = sql.indexOf("\n", i);
  return end === -1 ? sql.length : end + 1;
}

function skipBlockComment(sql: string, i: number): number {
  const end = blockCommentEnd(sql, i);
  return end === -1 ? sql.length : end;
}

/** The index just after the (nested) block comment opening at `i`, or -1 when it never closes. */
function blockCommentEnd(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    const ch = sql.charCodeAt(j);
    const next = sql.charCodeAt(j + 1);
    if (ch === SLASH && next === STAR) {
      depth++;
      j += 2;
    } else if (ch === STAR && next === SLASH) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return -1;
}

const SLASH = 47;
const STAR = 42;

const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/y;

/** Skips `$tag$ … $tag$`; a `$` that does not open a tag (e.g. `$1`) is one character. */
function skipDollarQuoted(sql: string, i: number): number {
  if (i > 0 && /[\w$]/.test(sql[i - 1]!)) return i + 1; // part of an identifier such as a$b
  DOLLAR_TAG.lastIndex = i;
  const match = DOLLAR_TAG.exec(sql);
  if (!match) return i + 1;
  const tag = match[0];
  const end = sql.indexOf(tag, i + tag.length);
  return end === -1 ? sql.length : end + tag.length;
}

/**
 * Whether a (trimmed) statement holds nothing but comments. One pass with the splitter's own comment
 * rules (nested `/* *\/` included): a regex here was quadratic on text with many unclosed `/*`.
 */
function isOnlyComments(statement: string): boolean {
  let i = 0;
  while (i < statement.length) {
    const ch = statement[i]!;
    const next = statement[i + 1];
    if (ch === "-" && next === "-") i = skipLineComment(statement, i);
    else if (ch === "/" && next === "*") {
      i = blockCommentEnd(statement, i);
      if (i === -1) return false; // an unclosed comment is sent on, for the database to refuse
    } else if (/\s/.test(ch)) i++;
    else return false;
  }
  return true;
}
