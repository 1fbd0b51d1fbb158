/**
 * A trie over path segments, for the part of a segment-wildcard (`+`) pattern that follows its
 * literal head. (The head itself is found by hashing path prefixes, see `pattern-index.ts`.)
 *
 * How the remaining segments of a pattern are stored:
 * - every segment but the last is an edge: `+` takes the node's wildcard edge, anything else the
 *   literal edge of that name;
 * - a prefix pattern's last segment is a *partial*: it matches a path segment that starts with it
 *   (so `a/+/b*` matches `a/x/bc/d`), whatever segments follow;
 * - a non-prefix pattern's last segment is an ordinary edge, and the pattern is *complete* at the
 *   node it leads to: it matches only paths that end there.
 *
 * A search walks the path's segments, following both the literal and the wildcard edge where both
 * exist, and keeps the candidate with the highest precomputed rank. Edges and partials are keyed by
 * the 30-bit hash of their text (see `path-hash.ts`), compared with the segment hashes `scanPath`
 * computed, and confirmed with `startsWith`, so the walk allocates nothing.
 *
 * @module
 */
import { intern } from "./intern.js";
import { FNV_OFFSET, FNV_PRIME, HASH_MASK, hashOf } from "./path-hash.js";
import { segmentEnd, segmentHashOf, segmentStart } from "./path-scan.js";

/** Anything stored in the trie carries its priority rank: higher wins. */
export interface Ranked {
  readonly rank: number;
}

/** The longest partial length recorded in `partialLengthBits`; 1 << 31 would be negative. */
const MAX_BIT_LENGTH = 30;

/** A prefix pattern's last segment, with the other partials that share its hash. */
interface Partial<T> {
  readonly text: string;
  readonly value: T;
  collision: Partial<T> | undefined;
}

/** A node: the edges out of it, and the patterns that end at it or at the segment after it. */
class TrieNode<T extends Ranked> {
  /** The literal segment on the edge into this node ("" for the root and wildcard nodes). */
  readonly segment: string;
  /** The next child of the same parent whose segment has the same hash. */
  collision: TrieNode<T> | undefined;
  literal: Map<number, TrieNode<T>> | undefined;
  wildcard: TrieNode<T> | undefined;
  /** A non-prefix pattern that ends exactly at this node. */
  complete: T | undefined;
  partials: Map<number, Partial<T>> | undefined;
  /**
   * Bit n is set when some partial here has length n (n ≤ 30). Kept inline as a number because a
   * lookup reads it at every node with partials, and a separate array would cost one more memory
   * access there. Longer partials, which are rare, are listed in `longPartialLengths`.
   */
  partialLengthBits = 0;
  longPartialLengths: Set<number> | undefined;
  longestPartial = -1;

  constructor(segment: string) {
    this.segment = segment;
  }

  child(segment: string): TrieNode<T> {
    if (segment === "+") return (this.wildcard ??= new TrieNode<T>(""));
    this.literal ??= new Map();
    const key = hashOf(segment);
    let node = this.literal.get(key);
    while (node !== undefined && node.segment !== segment) node = node.collision;
    if (node !== undefined) return node;
    const created = new TrieNode<T>(intern(segment));
    created.collision = this.literal.get(key);
    this.literal.set(key, created);
    return created;
  }

  addPartial(text: string, value: T): void {
    this.partials ??= new Map();
    const key = hashOf(text);
    this.partials.set(key, { text: intern(text), value, collision: this.partials.get(key) });
    if (text.length <= MAX_BIT_LENGTH) this.partialLengthBits |= 1 << text.length;
    else (this.longPartialLengths ??= new Set()).add(text.length);
    this.longestPartial = Math.max(this.longestPartial, text.length);
  }
}

/** The remainders of the segment-wildcard patterns that share one literal head. */
export class SegmentTrie<T extends Ranked> {
  readonly #root = new TrieNode<T>("");

  /**
   * Stores `value` under the segments that follow the head.
   *
   * @param segments - the remaining segments, at least one; `+` is a wildcard
   * @param isPrefix - whether the pattern ended in `*` (its last segment is then a partial)
   */
  insert(segments: readonly string[], isPrefix: boolean, value: T): void {
    let node = this.#root;
    for (let index = 0; index < segments.length - 1; index++) node = node.child(segments[index]!);
    const last = segments[segments.length - 1]!;
    if (isPrefix) node.addPartial(last, value);
    else node.child(last).complete = value;
  }

  /**
   * The best candidate for the path last scanned by `scanPath` (whose view has `segmentCount`
   * segments), matching its segments from `depth` on, if it beats `best`.
   */
  best(path: string, segmentCount: number, depth: number, best: T | undefined): T | undefined {
    return search(path, segmentCount, this.#root, depth, best);
  }
}

/** The best candidate at or below `node`, for the path's segments from `depth` on. */
function search<T extends Ranked>(path: string, segmentCount: number, node: TrieNode<T>, depth: number, best: T | undefined): T | undefined {
  if (depth === segmentCount) {
    const complete = node.complete;
    return complete !== undefined && (best === undefined || complete.rank > best.rank) ? complete : best;
  }
  const start = segmentStart(depth);
  const end = segmentEnd(depth);
  if (node.partials !== undefined) best = bestPartial(path, node, start, end, best);
  if (node.literal !== undefined) {
    const child = literalChild(path, node.literal, segmentHashOf(depth), start, end);
    if (child !== undefined) best = search(path, segmentCount, child, depth + 1, best);
  }
  if (node.wildcard !== undefined) best = search(path, segmentCount, node.wildcard, depth + 1, best);
  return best;
}

/** The highest-ranked partial the segment [start, end) begins with, if it beats `best`. */
function bestPartial<T extends Ranked>(path: string, node: TrieNode<T>, start: number, end: number, best: T | undefined): T | undefined {
  const bits = node.partialLengthBits;
  const limit = Math.min(end - start, node.longestPartial);
  let hash = FNV_OFFSET;
  if ((bits & 1) !== 0) best = partialWithHash(path, node, hash, start, 0, best);
  // Hash each prefix of the segment on the way, stopping at the longest partial stored here.
  for (let length = 1; length <= limit; length++) {
    hash = Math.imul(hash ^ path.charCodeAt(start + length - 1), FNV_PRIME);
    const present = length <= MAX_BIT_LENGTH ? (bits & (1 << length)) !== 0 : node.longPartialLengths?.has(length) === true;
    if (present) best = partialWithHash(path, node, hash, start, length, best);
  }
  return best;
}

function partialWithHash<T extends Ranked>(path: string, node: TrieNode<T>, hash: number, start: number, length: number, best: T | undefined): T | undefined {
  for (let partial = node.partials!.get(hash & HASH_MASK); partial !== undefined; partial = partial.collision) {
    const matches = partial.text.length === length && path.startsWith(partial.text, start);
    if (matches && (best === undefined || partial.value.rank > best.rank)) best = partial.value;
  }
  return best;
}

function literalChild<T extends Ranked>(path: string, children: Map<number, TrieNode<T>>, hash: number, start: number, end: number): TrieNode<T> | undefined {
  for (let child = children.get(hash); child !== undefined; child = child.collision) {
    if (child.segment.length === end - start && path.startsWith(child.segment, start)) return child;
  }
  return undefined;
}
