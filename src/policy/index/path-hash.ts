/**
 * The string hash the compiled policy index uses: 32-bit FNV-1a over UTF-16 code units, masked to
 * 30 bits so that hashes stay small integers in V8 (unboxed `Map` keys, no allocation).
 *
 * The index hashes path text in place, character by character, instead of slicing substrings to
 * use as `Map` keys: a lookup then allocates nothing per segment or prefix. Hashes only ever
 * *select* candidates; every hit is confirmed against the text, so collisions cost time, never
 * correctness.
 *
 * The modules that use these constants in hot loops copy them into module-local `const`s rather
 * than reading the imports there. An imported binding is live: optimized code loads it from its
 * module cell (and checks it is initialized) at every use, which made the path scan about 1.6×
 * slower; a module-local `const` is folded into the code.
 *
 * @module
 */

/** The hash of the empty string. */
export const FNV_OFFSET = 0x811c9dc5 | 0;
/** The FNV prime: `hash = Math.imul(hash ^ charCode, FNV_PRIME)` adds one character. */
export const FNV_PRIME = 16777619;
/** Applied to a running hash before it is used as a key. */
export const HASH_MASK = 0x3fffffff;
/** The character code of "/". */
export const SLASH = 47;

/** The masked hash of a whole string (lookups get theirs from `scanPath` instead). */
export function hashOf(text: string): number {
  let hash = FNV_OFFSET;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME);
  return hash & HASH_MASK;
}
