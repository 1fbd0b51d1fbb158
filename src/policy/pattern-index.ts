/**
 * The index of non-exact patterns (prefix `*` and segment-wildcard `+`), built so that finding the
 * winning pattern for a path costs time proportional to the path's length, not to the number of
 * patterns, and touches as little memory as possible.
 *
 * Every non-exact pattern hangs off an *anchor*: a literal string the path must start with.
 * - A prefix pattern's anchor is its body (`secret/ap*` → `secret/ap`): it matches when the path
 *   starts with the anchor.
 * - A segment-wildcard pattern's anchor is its literal head, up to the first `+` segment
 *   (`secret/+/config` → `secret/`). Its remaining segments go into the anchor's {@link SegmentTrie}.
 *
 * A lookup reads the hash of each prefix of the path, computed once by `scanPath`. At a length
 * where some anchor ends, it asks a Bloom filter whether that prefix may be an anchor, and only
 * then probes the anchor table and confirms the text. So the literal part of a path costs
 * arithmetic, not memory accesses, whatever the number of rules; only anchors that really match
 * lead into the table, and only segment-wildcard tails are walked segment by segment.
 *
 * Of all the matching candidates, the one with the highest rank (Vault's priority order,
 * precomputed) wins.
 *
 * @module
 */
import { BloomFilter } from "./bloom-filter.js";
import { intern } from "./intern.js";
import { SLASH, hashOf } from "./path-hash.js";
import { prefixHashOf } from "./path-scan.js";
import type { ClassifiedPattern } from "./pattern.js";
import { SegmentTrie, type Ranked } from "./segment-trie.js";

/** Flags of `#anchorLengths`: some anchor of this length ends in "/" … */
const AT_SLASH = 1;
/** … or some anchor of this length ends with another character. */
const ANYWHERE = 2;

/** A literal string that paths must start with for the patterns hanging off it to match. */
interface Anchor<T extends Ranked> {
  readonly text: string;
  /** The segment index where the text ends (its number of "/"); segment-wildcard tails start there. */
  readonly depth: number;
  /** The prefix pattern whose body is exactly `text`. */
  prefix: T | undefined;
  /** The tails of the segment-wildcard patterns whose literal head is `text`. */
  tails: SegmentTrie<T> | undefined;
  /** The next anchor with the same hash. */
  collision: Anchor<T> | undefined;
}

/** Non-exact patterns and their ranked values; immutable once built. */
export class PatternIndex<T extends Ranked> {
  readonly #anchors = new Map<number, Anchor<T>>();
  /**
   * What anchors are n characters long: `AT_SLASH` when some end in "/" (these can only match
   * where the path has a "/"), `ANYWHERE` when some end elsewhere, both bits, or 0 for none. Most
   * anchors end in "/", so most prefix lengths of a path need no Bloom test at all.
   */
  readonly #anchorLengths: Uint8Array;
  readonly #bloom: BloomFilter;

  /** @param entries - each prefix or segment-wildcard pattern once, with its ranked value */
  constructor(entries: ReadonlyArray<readonly [ClassifiedPattern, T]>) {
    for (const [pattern, value] of entries) this.#insert(pattern, value);
    let longest = -1;
    for (const anchor of this.#allAnchors()) longest = Math.max(longest, anchor.text.length);
    this.#anchorLengths = new Uint8Array(longest + 1);
    this.#bloom = new BloomFilter(this.#anchors.size);
    for (const anchor of this.#allAnchors()) {
      this.#anchorLengths[anchor.text.length]! |= anchor.text.endsWith("/") ? AT_SLASH : ANYWHERE;
      this.#bloom.add(hashOf(anchor.text));
    }
  }

  /** Whether the index holds no pattern at all. */
  get isEmpty(): boolean {
    return this.#anchors.size === 0;
  }

  /**
   * The highest-ranked pattern matching a view of the path last scanned by `scanPath`, or
   * undefined when none does.
   *
   * @param path - the scanned path
   * @param viewLength - how much of the scanned view to match: `path.length`, one less (without a
   *   trailing "/"), or one more (with the virtual trailing "/")
   * @param segmentCount - the number of segments of that view
   */
  best(path: string, viewLength: number, segmentCount: number): T | undefined {
    const anchorLengths = this.#anchorLengths;
    const lastLength = Math.min(viewLength, anchorLengths.length - 1);
    let best: T | undefined;
    for (let prefixLength = 0; prefixLength <= lastLength; prefixLength++) {
      const kinds = anchorLengths[prefixLength]!;
      if (kinds === 0 || (kinds === AT_SLASH && !endsWithSlash(path, prefixLength))) continue;
      const hash = prefixHashOf(prefixLength);
      if (!this.#bloom.mightContain(hash)) continue;
      for (let anchor = this.#anchors.get(hash); anchor !== undefined; anchor = anchor.collision) {
        if (anchor.text.length !== prefixLength || !viewStartsWith(path, anchor.text)) continue;
        if (anchor.prefix !== undefined && (best === undefined || anchor.prefix.rank > best.rank)) best = anchor.prefix;
        if (anchor.tails !== undefined) best = anchor.tails.best(path, segmentCount, anchor.depth, best);
      }
    }
    return best;
  }

  #insert(pattern: ClassifiedPattern, value: T): void {
    if (pattern.kind === "prefix") {
      this.#anchor(pattern.body).prefix = value;
      return;
    }
    const segments = pattern.body.split("/");
    // The tail starts at the first "+" segment; a pattern Vault counts as segment-wildcard without
    // one (such as "a/+b") keeps just its last segment as the tail.
    const firstWildcard = segments.indexOf("+");
    const tailStart = firstWildcard === -1 ? segments.length - 1 : firstWildcard;
    const head = tailStart === 0 ? "" : `${segments.slice(0, tailStart).join("/")}/`;
    const anchor = this.#anchor(head);
    anchor.tails ??= new SegmentTrie<T>();
    anchor.tails.insert(segments.slice(tailStart), pattern.isPrefix, value);
  }

  #anchor(text: string): Anchor<T> {
    const key = hashOf(text);
    for (let anchor = this.#anchors.get(key); anchor !== undefined; anchor = anchor.collision) {
      if (anchor.text === text) return anchor;
    }
    const depth = text.split("/").length - 1;
    const created: Anchor<T> = { text: intern(text), depth, prefix: undefined, tails: undefined, collision: this.#anchors.get(key) };
    this.#anchors.set(key, created);
    return created;
  }

  *#allAnchors(): Generator<Anchor<T>> {
    for (const first of this.#anchors.values()) {
      for (let anchor: Anchor<T> | undefined = first; anchor !== undefined; anchor = anchor.collision) yield anchor;
    }
  }
}

/** Whether the view's first `length` characters end in "/" (past the path's end is the virtual "/"). */
function endsWithSlash(path: string, length: number): boolean {
  return length > path.length || (length > 0 && path.charCodeAt(length - 1) === SLASH);
}

/**
 * Whether the view starts with `text`: the path, then (only ever one character past its end) the
 * virtual "/". The caller never passes a text longer than the view.
 */
function viewStartsWith(path: string, text: string): boolean {
  const length = path.length;
  if (text.length <= length) return path.startsWith(text);
  if (text.charCodeAt(length) !== SLASH) return false;
  for (let index = 0; index < length; index++) {
    if (path.charCodeAt(index) !== text.charCodeAt(index)) return false;
  }
  return true;
}
