/**
 * Rendering values into PostgreSQL SQL safely.
 *
 * @module
 */

/** Quotes an identifier: `a"b` → `"a""b"`. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quotes a string literal as `E'…'`, escaping `'` and `\\`, so it reads the same whatever
 * `standard_conforming_strings` is (as `pg.escapeLiteral` does).
 */
export function quoteLiteral(value: string): string {
  return `E'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * Formats an expiry for `VALID UNTIL '…'`: UTC with an explicit `+00` offset, so PostgreSQL reads
 * the same instant whatever the server's or the host's time zone.
 *
 * @example
 * ```ts
 * formatExpiration(new Date("2026-01-11T00:37:14Z")) // "2026-01-11 00:37:14+00"
 * ```
 */
export function formatExpiration(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")}+00`;
}
