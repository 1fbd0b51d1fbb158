/**
 * One pass over the path being evaluated, whose results the pattern index then reads: the hash of
 * each prefix of the path (to find anchors) and where each segment ends, with its hash (for segment
 * tries). Hashing in place, once, means a lookup allocates no substrings and hashes no character
 * twice, however many anchors, tries and list fallbacks consult the path.
 *
 * The results live in module-level tables that the next scan overwrites. That is safe because an
 * evaluation is synchronous and never starts another one: scan, then read, within one call.
 *
 * @module
 */
import * as pathHash from "./path-hash.js";

// Module-local copies of imported constants, read in hot loops (see `path-hash.ts` on why).
const { FNV_OFFSET, FNV_PRIME, HASH_MASK, SLASH } = pathHash;

/** `prefixHashes[n]` is the masked hash of the view's first n characters. */
let prefixHashes = new Int32Array(256);
/** `segmentEnds[i]` is where segment i ends (the index of the "/" after it, or the view's length). */
let segmentEnds = new Int32Array(128);
/** `segmentHashes[i]` is the masked hash of segment i. */
let segmentHashes = new Int32Array(128);

/**
 * Scans the *view* of a path: the path itself, followed by one virtual "/" when
 * `withTrailingSlash` (how a list request sees `foo` as `foo/` without building that string).
 *
 * A shorter view — the path without its last character, or without the virtual slash — needs no
 * scan of its own: its prefix hashes are the same, and it has one segment fewer when the character
 * dropped is a "/".
 *
 * @returns the number of segments of the view (a view ending in "/" has an empty last segment)
 */
export function scanPath(path: string, withTrailingSlash: boolean): number {
  const length = path.length;
  reserve(length + 1);
  // Locals, not the module's `let`s: the JIT then keeps the tables in registers through the loop.
  const hashes = prefixHashes;
  const ends = segmentEnds;
  const segments = segmentHashes;
  let prefixHash = FNV_OFFSET;
  let segmentHash = FNV_OFFSET;
  let count = 0;
  hashes[0] = FNV_OFFSET & HASH_MASK;
  for (let index = 0; index < length; index++) {
    const code = path.charCodeAt(index);
    prefixHash = Math.imul(prefixHash ^ code, FNV_PRIME);
    hashes[index + 1] = prefixHash & HASH_MASK;
    if (code === SLASH) {
      ends[count] = index;
      segments[count++] = segmentHash & HASH_MASK;
      segmentHash = FNV_OFFSET;
    } else {
      segmentHash = Math.imul(segmentHash ^ code, FNV_PRIME);
    }
  }
  if (withTrailingSlash) {
    hashes[length + 1] = Math.imul(prefixHash ^ SLASH, FNV_PRIME) & HASH_MASK;
    ends[count] = length;
    segments[count++] = segmentHash & HASH_MASK;
    segmentHash = FNV_OFFSET;
  }
  ends[count] = withTrailingSlash ? length + 1 : length;
  segments[count++] = segmentHash & HASH_MASK;
  return count;
}

/** The masked hash of the scanned view's first `length` characters. */
export function prefixHashOf(length: number): number {
  return prefixHashes[length]!;
}

/** Where segment `index` of the scanned view starts. */
export function segmentStart(index: number): number {
  return index === 0 ? 0 : segmentEnds[index - 1]! + 1;
}

/** Where segment `index` of the scanned view ends (exclusive). */
export function segmentEnd(index: number): number {
  return segmentEnds[index]!;
}

/** The masked hash of segment `index` of the scanned view. */
export function segmentHashOf(index: number): number {
  return segmentHashes[index]!;
}

/** Grows the tables for a view of `viewLength` characters (at most that many + 1 segments). */
function reserve(viewLength: number): void {
  if (prefixHashes.length > viewLength + 1) return;
  prefixHashes = new Int32Array(viewLength * 2 + 2);
  segmentEnds = new Int32Array(viewLength * 2 + 2);
  segmentHashes = new Int32Array(viewLength * 2 + 2);
}
