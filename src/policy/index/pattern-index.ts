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
 * then probes the anchor table (a flat {@link HashSlots} table whose slot holds the anchor's text
 * handle, prefix rule and trie root together) and confirms the text. So the literal part of a path
 * costs arithmetic, not memory accesses, whatever the number of rules; only anchors that really
 * match lead into the table, and only segment-wildcard tails are walked segment by segment.
 *
 * Of all the matching candidates, the one with the highest rule id (ids follow Vault's priority
 * order, see `rule-table.ts`) wins.
 *
 * @module
 */
import { BloomFilter } from "./bloom-filter.js";
import { HashSlots } from "./hash-slots.js";
import * as pathHash from "./path-hash.js";
import { prefixHashOf } from "./path-scan.js";
import type { ClassifiedPattern } from "../pattern.js";
import * as ruleTable from "./rule-table.js";
import { SegmentTrieDraft, SegmentTries } from "./segment-trie.js";
import { TextPool } from "./text-pool.js";

// Module-local copies of imported constants, read in hot loops (see `path-hash.ts` on why).
const { SLASH, hashOf } = pathHash;
const { NO_RULE } = ruleTable;

/** Flags of `#anchorLengths`: some anchor of this length ends in "/" … */
const AT_SLASH = 1;
/** … or some anchor of this length ends with another character. */
const ANYWHERE = 2;

/** An anchor while the index is built. */
interface AnchorDraft {
  /** The rule id of the prefix pattern whose body is exactly the anchor's text. */
  prefix: number;
  /** The tails of the segment-wildcard patterns whose literal head is the anchor's text. */
  tails: SegmentTrieDraft | undefined;
}

/** Non-exact patterns and their rule ids; immutable once built. */
export class PatternIndex {
  /** Anchor hash → (where its text starts, its prefix rule id or -1, its trie root or -1). */
  readonly #anchors: HashSlots;
  readonly #texts = new TextPool();
  readonly #tries: SegmentTries;
  /**
   * The lengths of the anchors, ascending and each once: a lookup tests only the path's prefixes
   * of these lengths, however long the path.
   */
  readonly #anchorLengths: Int32Array;
  /**
   * What anchors of `#anchorLengths[i]` characters end with: `AT_SLASH` when some end in "/"
   * (these can only match where the path has a "/"), `ANYWHERE` when some end elsewhere, or both
   * bits. Most anchors end in "/", so most prefixes of a path need no Bloom test at all.
   */
  readonly #anchorEnds: Uint8Array;
  readonly #bloom: BloomFilter;

  /** @param entries - each prefix or segment-wildcard pattern once, with its rule id (higher wins) */
  constructor(entries: ReadonlyArray<readonly [ClassifiedPattern, number]>) {
    const drafts = new Map<string, AnchorDraft>();
    for (const [pattern, id] of entries) insert(drafts, pattern, id);
    const withTails = [...drafts].filter(([, draft]) => draft.tails !== undefined);
    this.#tries = new SegmentTries(withTails.map(([text, draft]) => [draft.tails!, text.split("/").length - 1] as const));
    const roots = new Map(withTails.map(([text], index) => [text, this.#tries.root(index)]));
    const ends = new Map<number, number>();
    this.#anchors = new HashSlots(drafts.size);
    this.#bloom = new BloomFilter(drafts.size);
    for (const [text, draft] of drafts) {
      this.#anchors.add(hashOf(text), this.#texts.add(text), draft.prefix, roots.get(text) ?? -1);
      ends.set(text.length, (ends.get(text.length) ?? 0) | (text.endsWith("/") ? AT_SLASH : ANYWHERE));
      this.#bloom.add(hashOf(text));
    }
    this.#anchorLengths = Int32Array.from(ends.keys()).sort();
    this.#anchorEnds = Uint8Array.from(this.#anchorLengths, (length) => ends.get(length)!);
  }

  /** Whether the index holds no pattern at all. */
  get isEmpty(): boolean {
    return this.#anchors.size === 0;
  }

  /**
   * The highest rule id of the patterns matching a view of the path last scanned by `scanPath`,
   * or {@link NO_RULE} when none does.
   *
   * @param path - the scanned path
   * @param viewLength - how much of the scanned view to match: `path.length`, one less (without a
   *   trailing "/"), or one more (with the virtual trailing "/")
   * @param segmentCount - the number of segments of that view
   */
  best(path: string, viewLength: number, segmentCount: number): number {
    const anchorLengths = this.#anchorLengths;
    const anchorEnds = this.#anchorEnds;
    let best = NO_RULE;
    for (let index = 0; index < anchorLengths.length; index++) {
      const prefixLength = anchorLengths[index]!;
      if (prefixLength > viewLength) break;
      if (anchorEnds[index] === AT_SLASH && !endsWithSlash(path, prefixLength)) continue;
      const hash = prefixHashOf(prefixLength);
      if (this.#bloom.mightContain(hash)) best = this.#anchored(path, prefixLength, hash, segmentCount, best);
    }
    return best;
  }

  /** The best of `best` and the patterns hanging off the anchor (if any) equal to the view's first `length` characters. */
  #anchored(path: string, length: number, hash: number, segmentCount: number, best: number): number {
    const anchors = this.#anchors;
    for (let slot = anchors.first(hash); slot !== -1; slot = anchors.next(slot, hash)) {
      if (!this.#texts.matches(anchors.a(slot), path, 0, length)) continue;
      best = Math.max(best, anchors.b(slot));
      const root = anchors.c(slot);
      return root === -1 ? best : this.#tries.best(path, segmentCount, root, best);
    }
    return best;
  }
}

/** Hangs a pattern off its anchor: its body if a prefix pattern, else its literal head. */
function insert(drafts: Map<string, AnchorDraft>, pattern: ClassifiedPattern, id: number): void {
  if (pattern.kind === "prefix") {
    anchorDraft(drafts, pattern.body).prefix = id;
    return;
  }
  const segments = pattern.body.split("/");
  // The tail starts at the first "+" segment; a pattern Vault counts as segment-wildcard without
  // one (such as "a/+b") keeps just its last segment as the tail.
  const firstWildcard = segments.indexOf("+");
  const tailStart = firstWildcard === -1 ? segments.length - 1 : firstWildcard;
  const head = tailStart === 0 ? "" : `${segments.slice(0, tailStart).join("/")}/`;
  const anchor = anchorDraft(drafts, head);
  anchor.tails ??= new SegmentTrieDraft();
  anchor.tails.insert(segments.slice(tailStart), pattern.isPrefix, id);
}

function anchorDraft(drafts: Map<string, AnchorDraft>, text: string): AnchorDraft {
  let draft = drafts.get(text);
  if (draft === undefined) drafts.set(text, (draft = { prefix: NO_RULE, tails: undefined }));
  return draft;
}

/** Whether the view's first `length` characters end in "/" (past the path's end is the virtual "/"). */
function endsWithSlash(path: string, length: number): boolean {
  return length > path.length || (length > 0 && path.charCodeAt(length - 1) === SLASH);
}
