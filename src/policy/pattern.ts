/**
 * Path patterns: how Vault classifies them (exact, prefix `*`, segment wildcard `+`) and the
 * priority order that picks one winner when several non-exact patterns match a path.
 *
 * @module
 */

/** The three kinds of pattern, each looked up its own way. */
export type PatternKind = "exact" | "prefix" | "segment";

/** A pattern, classified and measured for the priority order. */
export interface ClassifiedPattern {
  kind: PatternKind;
  /** The pattern as written (without a leading `/`). */
  pattern: string;
  /** The pattern without its trailing `*` when it is a prefix; the text priority compares. */
  body: string;
  /** Whether the pattern ends in `*` (matches any continuation). */
  isPrefix: boolean;
  /**
   * Where the first wildcard is, for priority rule 1: the offset of the first `+` for segment
   * patterns, the length of the body (where the `*` was) for prefix patterns. In UTF-8 bytes, as
   * Vault measures strings, so non-ASCII patterns rank exactly as in Vault.
   */
  firstWildcard: number;
  /** The body's length in UTF-8 bytes, for priority rule 4. */
  bodyBytes: number;
  /** How many segments are exactly `+`, for priority rule 3. */
  wildcardSegments: number;
}

/**
 * Classifies a pattern exactly as Vault does.
 *
 * A pattern has segment wildcards when it is `+`, starts with `+/` or contains `/+` (Vault checks
 * the text, so `a/+b` also counts; its `+b` segment then matches only the literal `+b`). Otherwise a
 * trailing `*` makes it a prefix pattern, and anything else is exact. A `*` anywhere but at the end
 * is a literal character.
 */
export function classifyPattern(pattern: string): ClassifiedPattern {
  const hasSegmentWildcards = pattern === "+" || pattern.startsWith("+/") || pattern.includes("/+");
  const isPrefix = pattern.endsWith("*");
  const body = isPrefix ? pattern.slice(0, -1) : pattern;
  const bodyBytes = utf8Length(body);
  if (hasSegmentWildcards) {
    return {
      kind: "segment",
      pattern,
      body,
      isPrefix,
      firstWildcard: utf8Length(pattern.slice(0, pattern.indexOf("+"))),
      bodyBytes,
      wildcardSegments: body.split("/").filter((segment) => segment === "+").length,
    };
  }
  const kind = isPrefix ? "prefix" : "exact";
  return { kind, pattern, body, isPrefix, firstWildcard: bodyBytes, bodyBytes, wildcardSegments: 0 };
}

/**
 * The key under which rules for the same pattern merge. Vault keeps exact, prefix and segment
 * patterns in separate tables, so `foo` and `foo*` never merge.
 */
export function mergeKey(classified: ClassifiedPattern): string {
  return `${classified.kind}:${classified.kind === "prefix" ? classified.body : classified.pattern}`;
}

/**
 * Vault's priority order between two non-exact patterns that both match a path. Negative when `a`
 * has lower priority than `b`, positive when higher; 0 only for the same pattern.
 *
 * 1. the first wildcard (`+` or `*`) earlier → lower priority;
 * 2. ends in `*` while the other does not → lower;
 * 3. more `+` segments → lower;
 * 4. shorter → lower;
 * 5. lexicographically smaller (by UTF-8 bytes, as Go compares strings) → lower.
 */
export function comparePriority(a: ClassifiedPattern, b: ClassifiedPattern): number {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard - b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix ? -1 : 1;
  if (a.wildcardSegments !== b.wildcardSegments) return b.wildcardSegments - a.wildcardSegments;
  if (a.bodyBytes !== b.bodyBytes) return a.bodyBytes - b.bodyBytes;
  return compareUtf8(a.body, b.body);
}

/**
 * Orders strings by their UTF-8 bytes, as Go does. UTF-16 code-unit order agrees with it unless a
 * surrogate pair meets a character from U+E000 up, so only such strings pay for encoding.
 */
function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  if (HIGH_CODE_UNITS.test(a) || HIGH_CODE_UNITS.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : 1;
}

const HIGH_CODE_UNITS = /[\uD800-\uFFFF]/;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
