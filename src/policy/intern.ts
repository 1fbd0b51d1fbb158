/**
 * String interning, for the keys of the compiled policy structures.
 *
 * Patterns come out of the parser as slices of the policy text. V8 represents long slices as views
 * into the (large) source string, so every comparison during a lookup would chase one more pointer
 * into memory far from the rest of the structure. Interning gives each key its own flat copy (and
 * one copy per distinct value), which keeps lookups over 100,000 rules measurably faster.
 *
 * @module
 */

/** The interned (flat, canonical) copy of `text`. */
export function intern(text: string): string {
  // V8 interns every string it uses as a property name; Object.keys hands back that copy.
  const holder: Record<string, true> = { [text]: true };
  return Object.keys(holder)[0]!;
}
