/**
 * A trie over path segments holding the non-exact patterns (prefix `*` and segment wildcard `+`),
 * so that finding the winning pattern for a path costs time proportional to the path's length,
 * not to the number of patterns.
 *
 * How a pattern is stored. Its body (the pattern without the trailing `*`) is split on `/`:
 * - every segment but the last is an edge: `+` takes the node's wildcard edge, anything else the
 *   literal edge of that name;
 * - a prefix pattern's last segment is a *partial*: it matches a path segment that starts with it
 *   (so `secret/ap*` matches `secret/app/x`, and `secret/*` — partial `""` — anything below
 *   `secret/`), whatever segments follow;
 * - a non-prefix pattern's last segment is an ordinary edge, and the pattern is *complete* at the
 *   node it leads to: it matches only paths that end there.
 *
 * A lookup walks the path from the root, following both the literal and the wildcard edge where
 * both exist, and keeps the candidate with the highest precomputed rank.
 *
 * Why hashes: a lookup should allocate nothing per segment. Slicing each path segment to use it as a
 * `Map` key costs more than the whole rest of the lookup, so edges and partials are keyed by a 30-bit FNV-1a hash
 * computed from the path's characters in place (each prefix of a segment is hashed on the way to
 * the whole segment, which is what partials need), and a hit is confirmed with `startsWith`.
 *
 * @module
 */
import { intern } from "./intern.js";
import type { ClassifiedPattern } from "./pattern.js";

/** Anything stored in the trie carries its priority rank: higher wins. */
export interface Ranked {
  readonly rank: number;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;
/** Keep hashes within V8's small-integer range so `Map` keys stay unboxed. */
const HASH_MASK = 0x3fffffff;

/** A prefix pattern's last segment, with the other partials that share its hash. */
interface Partial<T> {
  readonly text: string;
  readonly value: T;
  collision: Partial<T> | undefined;
}

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
  /** `partialLengths[n]` is 1 when some partial here has length n. */
  partialLengths = new Uint8Array(0);

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
    if (text.length >= this.partialLengths.length) {
      const grown = new Uint8Array(text.length + 1);
      grown.set(this.partialLengths);
      this.partialLengths = grown;
    }
    this.partialLengths[text.length] = 1;
  }
}

/** The index of non-exact patterns. Values must be inserted with their final ranks. */
export class SegmentTrie<T extends Ranked> {
  readonly #root = new TrieNode<T>("");
  #size = 0;

  /** How many patterns the trie holds. */
  get size(): number {
    return this.#size;
  }

  /** Stores `value` under a prefix or segment-wildcard pattern. Each pattern is inserted once. */
  insert(pattern: ClassifiedPattern, value: T): void {
    const segments = pattern.body.split("/");
    const last = segments.pop()!;
    let node = this.#root;
    for (const segment of segments) node = node.child(segment);
    if (pattern.isPrefix) node.addPartial(last, value);
    else node.child(last).complete = value;
    this.#size++;
  }

  /**
   * The highest-ranked pattern matching a path, or undefined when none does.
   *
   * @param path - the path
   * @param length - use only `path.slice(0, length)`, without allocating the slice
   * @param withTrailingSlash - look up the path as if a `/` followed it, without allocating that either
   */
  best(path: string, length = path.length, withTrailingSlash = false): T | undefined {
    if (this.#size === 0) return undefined;
    const view: PathView = { path, length, limit: withTrailingSlash ? length + 1 : length };
    return search(view, this.#root, 0, undefined);
  }
}

/**
 * The path a lookup walks: the first `length` characters of `path`, followed by one virtual "/"
 * when `limit` is `length + 1`. Segment start positions past `limit` mean "no segments left".
 */
interface PathView {
  readonly path: string;
  readonly length: number;
  readonly limit: number;
}

/** The best candidate at or below `node`, for the segments of `view` from `start` on. */
function search<T extends Ranked>(view: PathView, node: TrieNode<T>, start: number, best: T | undefined): T | undefined {
  if (start > view.limit) {
    const complete = node.complete;
    return complete !== undefined && (best === undefined || complete.rank > best.rank) ? complete : best;
  }
  const end = segmentEnd(view, start);
  let hash = FNV_OFFSET;
  const partialLimit = node.partials === undefined ? -1 : Math.min(end - start, node.partialLengths.length - 1);
  if (partialLimit >= 0 && node.partialLengths[0] === 1) best = bestPartial(view, node, hash, start, 0, best);
  // One pass hashes every prefix of the segment (for partials) on the way to the whole segment.
  const hashLimit = node.literal === undefined ? partialLimit : end - start;
  for (let offset = 0; offset < hashLimit; offset++) {
    hash = Math.imul(hash ^ view.path.charCodeAt(start + offset), FNV_PRIME);
    if (offset < partialLimit && node.partialLengths[offset + 1] === 1) {
      best = bestPartial(view, node, hash, start, offset + 1, best);
    }
  }
  if (node.literal !== undefined) {
    const child = literalChild(view, node.literal, hash, start, end);
    if (child !== undefined) best = search(view, child, end + 1, best);
  }
  if (node.wildcard !== undefined) best = search(view, node.wildcard, end + 1, best);
  return best;
}

/** Where the segment starting at `start` ends: the next "/", the view's end, or `start` itself for the virtual empty last segment. */
function segmentEnd(view: PathView, start: number): number {
  if (start > view.length) return start;
  const slash = view.path.indexOf("/", start);
  return slash === -1 || slash > view.length ? view.length : slash;
}

function bestPartial<T extends Ranked>(view: PathView, node: TrieNode<T>, hash: number, start: number, length: number, best: T | undefined): T | undefined {
  for (let partial = node.partials!.get(hash & HASH_MASK); partial !== undefined; partial = partial.collision) {
    const matches = partial.text.length === length && view.path.startsWith(partial.text, start);
    if (matches && (best === undefined || partial.value.rank > best.rank)) best = partial.value;
  }
  return best;
}

function literalChild<T extends Ranked>(view: PathView, children: Map<number, TrieNode<T>>, hash: number, start: number, end: number): TrieNode<T> | undefined {
  for (let child = children.get(hash & HASH_MASK); child !== undefined; child = child.collision) {
    if (child.segment.length === end - start && view.path.startsWith(child.segment, start)) return child;
  }
  return undefined;
}

function hashOf(text: string): number {
  let hash = FNV_OFFSET;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME);
  return hash & HASH_MASK;
}
