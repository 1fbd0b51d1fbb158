/**
 * Splitting SQL text into statements, aware of what a `;` inside SQL can mean.
 *
 * A naive `split(";")` breaks `DO $$ BEGIN …; END $$`, `'a;b'` and `"odd;name"`. This splitter
 * tracks single-quoted strings (with `''` and `E'\''` escapes), double-quoted identifiers,
 * dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`), `--` line comments and nested `/* *\/` comments,
 * and splits only on a top-level `;`.
 *
 * @module
 */

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
    const ch = sql[i]!;
    if (ch === ";") {
      statements.push(sql.slice(start, i));
      start = ++i;
    } else {
      i = skipToken(sql, i);
    }
  }
  statements.push(sql.slice(start));
  return statements.map((s) => s.trim()).filter((s) => s.length > 0 && !isOnlyComments(s));
}

/** Flattens statements given as a string or a list (each item may itself hold several). */
export function normalizeStatements(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === "string" ? [value] : value;
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
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql.startsWith("/*", j)) {
      depth++;
      j += 2;
    } else if (sql.startsWith("*/", j)) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return sql.length;
}

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

function isOnlyComments(statement: string): boolean {
  const withoutComments = statement.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
  return withoutComments.trim().length === 0;
}
