/**
 * Names for the parameterized statements a pool sends, so that PostgreSQL parses and plans each
 * once per connection (a named prepared statement) instead of on every query. The storage's
 * statements are a fixed handful, and their planning was about 40 % of each storage round trip
 * (bench/creds.ts --storage postgres).
 *
 * @module
 */

/** How many distinct statements get a name; any beyond are sent unnamed, so no text can grow the set without bound. */
export const MAX_NAMED_STATEMENTS = 64;

/** Gives each distinct statement text one stable name, up to {@link MAX_NAMED_STATEMENTS}. */
export class StatementNames {
  readonly #names = new Map<string, string>();

  /**
   * The name to prepare `text` under, or `undefined` to send it unnamed: a statement without
   * parameters (it may hold several commands, which a prepared statement cannot), or one past the
   * cap.
   */
  nameFor(text: string, values: readonly unknown[] | undefined): string | undefined {
    if (!values || values.length === 0) return undefined;
    const known = this.#names.get(text);
    if (known !== undefined || this.#names.size >= MAX_NAMED_STATEMENTS) return known;
    const name = `vaultlet_${this.#names.size + 1}`;
    this.#names.set(text, name);
    return name;
  }
}
