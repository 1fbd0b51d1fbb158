/**
 * The exact patterns: a `Map` from pattern to rule. Also indexes the patterns that end in "/"
 * without it, so that a list of `foo` can look up `foo/` without building that string.
 *
 * @module
 */
import { intern } from "./intern.js";
import { SLASH } from "./path-hash.js";

/** Exact patterns and their rules; immutable once built. */
export class ExactIndex<T> {
  readonly #rules = new Map<string, T>();
  /** The patterns that end in "/", keyed without it. */
  readonly #rulesWithSlash = new Map<string, T>();

  /** @param entries - each exact pattern (without a leading "/") once, with its rule */
  constructor(entries: ReadonlyArray<readonly [string, T]>) {
    for (const [pattern, rule] of entries) {
      this.#rules.set(intern(pattern), rule);
      if (pattern.endsWith("/")) this.#rulesWithSlash.set(intern(pattern.slice(0, -1)), rule);
    }
  }

  /** The rule for exactly `path`. */
  get(path: string): T | undefined {
    return this.#rules.get(path);
  }

  /** The rule for exactly `path + "/"`, without building that string. */
  getWithSlash(path: string): T | undefined {
    return this.#rulesWithSlash.get(path);
  }

  /** The rule for exactly `path` without its trailing "/" (`path` must end in one). */
  getWithoutSlash(path: string): T | undefined {
    const length = path.length - 1;
    if (this.#rules.size === 0 || path.charCodeAt(length) !== SLASH) return undefined;
    return this.#rules.get(path.slice(0, length));
  }
}
