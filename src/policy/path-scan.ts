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
import { FNV_OFFSET, FNV_PRIME, HASH_MASK, SLASH } from "./path-hash.js";

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
  const viewLength = withTrailingSlash ? length + 1 : length;
  reserve(viewLength);
  let prefixHash = FNV_OFFSET;
  let segmentHash = FNV_OFFSET;
  let count = 0;
  prefixHashes[0] = FNV_OFFSET & HASH_MASK;
  for (let index = 0; index < viewLength; index++) {
    const code = index < length ? path.charCodeAt(index) : SLASH;
    prefixHash = Math.imul(prefixHash ^ code, FNV_PRIME);
    prefixHashes[index + 1] = prefixHash & HASH_MASK;
    if (code === SLASH) {
      segmentEnds[count] = index;
      segmentHashes[count++] = segmentHash & HASH_MASK;
      segmentHash = FNV_OFFSET;
    } else {
      segmentHash = Math.imul(segmentHash ^ code, FNV_PRIME);
    }
  }
  segmentEnds[count] = viewLength;
  segmentHashes[count++] = segmentHash & HASH_MASK;
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
