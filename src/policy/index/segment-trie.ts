/**
 * Tries over path segments, for the part of a segment-wildcard (`+`) pattern that follows its
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
 * The tries are drafted as objects ({@link SegmentTrieDraft}), then flattened, all of one index
 * together, into {@link SegmentTries}: node records in one `Int32Array`, and the literal edges and
 * partials of every node in two shared {@link HashSlots} tables keyed by (node, hash of the text).
 * A search walks the path's segments, following both the literal and the wildcard edge where both
 * exist, and keeps the candidate with the highest rule id (ids are in priority order). It reads
 * the segment hashes `scanPath` computed and confirms every hit against the text, so it allocates
 * nothing, and touches a few cache lines per segment rather than a chain of objects.
 *
 * @module
 */
import { edgeKey } from "./edge-key.js";
import { HashSlots } from "./hash-slots.js";
import * as pathHash from "./path-hash.js";
import { segmentEnd, segmentHashOf, segmentStart } from "./path-scan.js";
import * as ruleTable from "./rule-table.js";
import { TextPool } from "./text-pool.js";

// Module-local copies of imported constants, read in hot loops (see `path-hash.ts` on why).
const { FNV_OFFSET, FNV_PRIME, HASH_MASK, hashOf } = pathHash;
const { NO_RULE } = ruleTable;

/** The longest partial length recorded in a node's length bits; 1 << 31 would be negative. */
const MAX_BIT_LENGTH = 30;

/** A node of a draft trie. */
class DraftNode {
  literal: Map<string, DraftNode> | undefined;
  wildcard: DraftNode | undefined;
  /** The rule id of the non-prefix pattern that ends exactly here. */
  complete = NO_RULE;
  /** The last segments of prefix patterns, with their rule ids. */
  partials: Map<string, number> | undefined;

  child(segment: string): DraftNode {
    if (segment === "+") return (this.wildcard ??= new DraftNode());
    this.literal ??= new Map();
    let node = this.literal.get(segment);
    if (node === undefined) this.literal.set(segment, (node = new DraftNode()));
    return node;
  }
}

/** The remainders of the segment-wildcard patterns that share one literal head, before flattening. */
export class SegmentTrieDraft {
  /** The root node. */
  readonly root = new DraftNode();

  /**
   * Stores rule `id` under the segments that follow the head.
   *
   * @param segments - the remaining segments, at least one; `+` is a wildcard
   * @param isPrefix - whether the pattern ended in `*` (its last segment is then a partial)
   */
  insert(segments: readonly string[], isPrefix: boolean, id: number): void {
    let node = this.root;
    for (let index = 0; index < segments.length - 1; index++) node = node.child(segments[index]!);
    const last = segments[segments.length - 1]!;
    if (isPrefix) (node.partials ??= new Map()).set(last, id);
    else node.child(last).complete = id;
  }
}

/** Fields of a node record. */
const WILDCARD = 0;
const COMPLETE = 1;
/** Bit n set: some partial here is n characters long (n ≤ 30). */
const PARTIAL_BITS = 2;
/** The longest partial's length, or -1 when the node has none. */
const LONGEST_PARTIAL = 3;
const HAS_LITERALS = 4;
/** For a root: the segment index where its head ends and the trie's segments start. */
const DEPTH = 5;
/** Integers per node record (a power of two, so that a record never straddles two cache lines). */
const STRIDE = 8;

/** The flattened tries of one pattern index; immutable once built. */
export class SegmentTries {
  readonly #nodes: Int32Array;
  /** edgeKey(parent, hash of segment) → (parent, where the segment text starts, child). */
  readonly #edges: HashSlots;
  /** edgeKey(node, hash of partial) → (node, where the partial text starts, rule id). */
  readonly #partials: HashSlots;
  readonly #texts = new TextPool();
  readonly #roots: number[] = [];
  #nodeCount = 0;

  /** @param drafts - the drafts to flatten, each with the segment index where its head ends */
  constructor(drafts: ReadonlyArray<readonly [SegmentTrieDraft, number]>) {
    const counts = { nodes: 0, edges: 0, partials: 0 };
    for (const [draft] of drafts) countNodes(draft.root, counts);
    this.#nodes = new Int32Array(counts.nodes * STRIDE);
    this.#edges = new HashSlots(counts.edges);
    this.#partials = new HashSlots(counts.partials);
    for (const [draft, depth] of drafts) {
      const root = this.#flatten(draft.root);
      this.#nodes[root * STRIDE + DEPTH] = depth;
      this.#roots.push(root);
    }
  }

  /** The root node of the `index`-th draft given to the constructor. */
  root(index: number): number {
    return this.#roots[index]!;
  }

  /**
   * The highest rule id matching the path last scanned by `scanPath` (whose view has
   * `segmentCount` segments) in the trie at `root`, or `best` when that is higher.
   */
  best(path: string, segmentCount: number, root: number, best: number): number {
    return this.#search(path, segmentCount, root, this.#nodes[root * STRIDE + DEPTH]!, best);
  }

  #search(path: string, segmentCount: number, node: number, depth: number, best: number): number {
    const nodes = this.#nodes;
    const at = node * STRIDE;
    if (depth === segmentCount) return Math.max(nodes[at + COMPLETE]!, best);
    const start = segmentStart(depth);
    const end = segmentEnd(depth);
    if (nodes[at + LONGEST_PARTIAL]! >= 0) best = this.#bestPartial(path, node, start, end, best);
    if (nodes[at + HAS_LITERALS] !== 0) {
      const child = this.#literalChild(path, node, segmentHashOf(depth), start, end);
      if (child !== -1) best = this.#search(path, segmentCount, child, depth + 1, best);
    }
    const wildcard = nodes[at + WILDCARD]!;
    if (wildcard !== -1) best = this.#search(path, segmentCount, wildcard, depth + 1, best);
    return best;
  }

  /** The highest-ranked partial the segment [start, end) begins with, if it beats `best`. */
  #bestPartial(path: string, node: number, start: number, end: number, best: number): number {
    const at = node * STRIDE;
    const bits = this.#nodes[at + PARTIAL_BITS]!;
    const limit = Math.min(end - start, this.#nodes[at + LONGEST_PARTIAL]!);
    let hash = FNV_OFFSET;
    if ((bits & 1) !== 0) best = this.#partial(path, node, hash & HASH_MASK, start, 0, best);
    // Hash each prefix of the segment on the way, stopping at the longest partial stored here.
    // Lengths past the bit set are rare and simply always probed.
    for (let length = 1; length <= limit; length++) {
      hash = Math.imul(hash ^ path.charCodeAt(start + length - 1), FNV_PRIME);
      if (length > MAX_BIT_LENGTH || (bits & (1 << length)) !== 0) best = this.#partial(path, node, hash & HASH_MASK, start, length, best);
    }
    return best;
  }

  #partial(path: string, node: number, hash: number, start: number, length: number, best: number): number {
    const partials = this.#partials;
    const key = edgeKey(node, hash);
    for (let slot = partials.first(key); slot !== -1; slot = partials.next(slot, key)) {
      if (partials.a(slot) === node && this.#texts.matches(partials.b(slot), path, start, length)) return Math.max(partials.c(slot), best);
    }
    return best;
  }

  #literalChild(path: string, node: number, hash: number, start: number, end: number): number {
    const edges = this.#edges;
    const key = edgeKey(node, hash);
    for (let slot = edges.first(key); slot !== -1; slot = edges.next(slot, key)) {
      if (edges.a(slot) === node && this.#texts.matches(edges.b(slot), path, start, end - start)) return edges.c(slot);
    }
    return -1;
  }

  /** Gives `draft` and its descendants node records and table entries; returns its node. */
  #flatten(draft: DraftNode): number {
    const node = this.#nodeCount++;
    const at = node * STRIDE;
    const nodes = this.#nodes;
    nodes[at + WILDCARD] = draft.wildcard === undefined ? -1 : this.#flatten(draft.wildcard);
    nodes[at + COMPLETE] = draft.complete;
    nodes[at + LONGEST_PARTIAL] = -1;
    for (const [segment, child] of draft.literal ?? []) {
      this.#edges.add(edgeKey(node, hashOf(segment)), node, this.#texts.add(segment), this.#flatten(child));
      nodes[at + HAS_LITERALS] = 1;
    }
    for (const [text, id] of draft.partials ?? []) {
      this.#partials.add(edgeKey(node, hashOf(text)), node, this.#texts.add(text), id);
      if (text.length <= MAX_BIT_LENGTH) nodes[at + PARTIAL_BITS]! |= 1 << text.length;
      nodes[at + LONGEST_PARTIAL] = Math.max(nodes[at + LONGEST_PARTIAL]!, text.length);
    }
    return node;
  }
}

function countNodes(draft: DraftNode, counts: { nodes: number; edges: number; partials: number }): void {
  counts.nodes++;
  counts.edges += draft.literal?.size ?? 0;
  counts.partials += draft.partials?.size ?? 0;
  for (const child of draft.literal?.values() ?? []) countNodes(child, counts);
  if (draft.wildcard !== undefined) countNodes(draft.wildcard, counts);
}
