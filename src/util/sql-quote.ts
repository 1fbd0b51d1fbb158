/**
 * Quoting names and strings into PostgreSQL SQL, as `pg.escapeIdentifier` and `pg.escapeLiteral`
 * do, without loading `pg` (which the storage loads only when it first connects: see `load-pg.ts`).
 *
 * @module
 */

/** Quotes an identifier: `a"b` → `"a""b"`. */
export function escapeIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quotes a string literal: `it's` → `'it''s'`; one with a backslash becomes an escape string
 * (` E'a\\b'`), which reads the same whatever `standard_conforming_strings` says.
 */
export function escapeLiteral(text: string): string {
  const quoted = `'${text.replace(/'/g, "''").replace(/\\/g, "\\\\")}'`;
  return text.includes("\\") ? ` E${quoted}` : quoted;
}
