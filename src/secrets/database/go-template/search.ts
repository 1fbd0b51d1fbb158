/**
 * Substring search in linear time (Knuth–Morris–Pratt), for `replace` and `glob`: the time to
 * find a pattern never depends on how the text and the pattern overlap, unlike a backtracking
 * regular expression.
 *
 * @module
 */

/** A pattern prepared for {@link Pattern.indexIn}. */
export class Pattern {
  readonly #pattern: string;
  /** `#border[i]`: the length of the longest proper border of `pattern.slice(0, i + 1)`. */
  readonly #border: Uint32Array;

  /** Prepares `pattern` (linear in its length). */
  constructor(pattern: string) {
    this.#pattern = pattern;
    this.#border = new Uint32Array(pattern.length);
    let k = 0;
    for (let i = 1; i < pattern.length; i++) {
      while (k > 0 && pattern[i] !== pattern[k]) k = this.#border[k - 1]!;
      if (pattern[i] === pattern[k]) k++;
      this.#border[i] = k;
    }
  }

  /** The pattern's length. */
  get length(): number {
    return this.#pattern.length;
  }

  /**
   * The first index at or after `from` where the pattern occurs in `text`, or -1, as
   * `text.indexOf(pattern, from)` — in time linear in the units of `text` read.
   */
  indexIn(text: string, from = 0): number {
    const pattern = this.#pattern;
    if (pattern.length === 0) return from <= text.length ? from : -1;
    let k = 0;
    for (let i = from; i < text.length; i++) {
      while (k > 0 && text[i] !== pattern[k]) k = this.#border[k - 1]!;
      if (text[i] === pattern[k]) k++;
      if (k === pattern.length) return i - pattern.length + 1;
    }
    return -1;
  }
}
