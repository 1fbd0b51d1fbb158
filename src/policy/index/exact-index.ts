/**
 * The exact patterns, in a flat hash table keyed by the hash of the whole pattern.
 *
 * A lookup takes its hash from `scanPath` (the hash of the view's first n characters, for any n),
 * so the path is hashed once per evaluation whatever the lookups: `foo/` and `foo` for a list of
 * `foo`, the path without its trailing "/", and then the prefix anchors. Each candidate the table
 * selects is confirmed against the pattern's text in a {@link TextPool}.
 *
 * @module
 */
import { HashSlots } from "./hash-slots.js";
import { hashOf } from "./path-hash.js";
import { prefixHashOf } from "./path-scan.js";
import * as ruleTable from "./rule-table.js";
import { TextPool } from "./text-pool.js";

// Module-local copies of imported constants, read in hot loops (see `path-hash.ts` on why).
const { NO_RULE } = ruleTable;

/** Exact patterns and their rule ids; immutable once built. */
export class ExactIndex {
  /** Pattern hash → (where its text starts, its rule id, unused). */
  readonly #slots: HashSlots;
  readonly #texts = new TextPool();

  /** @param entries - each exact pattern (without a leading "/") once, with its rule id */
  constructor(entries: ReadonlyArray<readonly [string, number]>) {
    this.#slots = new HashSlots(entries.length);
    for (const [pattern, id] of entries) this.#slots.add(hashOf(pattern), this.#texts.add(pattern), id, 0);
  }

  /** Whether the index holds no pattern at all. */
  get isEmpty(): boolean {
    return this.#slots.size === 0;
  }

  /**
   * The rule id of the exact pattern that equals the first `length` characters of the view last
   * scanned by `scanPath` (at most the path plus its virtual "/"), or {@link NO_RULE}.
   */
  find(path: string, length: number): number {
    const slots = this.#slots;
    if (slots.size === 0) return NO_RULE;
    const hash = prefixHashOf(length);
    for (let slot = slots.first(hash); slot !== -1; slot = slots.next(slot, hash)) {
      if (this.#texts.matches(slots.a(slot), path, 0, length)) return slots.b(slot);
    }
    return NO_RULE;
  }
}
