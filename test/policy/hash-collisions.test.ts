/**
 * The compiled index looks path prefixes and segments up by a 30-bit hash and confirms every hit
 * against the text. These tests build texts whose hashes collide, to prove the confirmation works
 * wherever hashes are used: prefix anchors, literal segments, and partial segments.
 */
import { describe, expect, it } from "vitest";
import { allows, evaluatorFor } from "./helpers.js";

/** The same FNV-1a variant the index uses, masked to 30 bits. */
function hash30(text: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 16777619);
  return hash & 0x3fffffff;
}

/**
 * Two different texts of the same length, `format(n)` for some n, whose hashes collide. By the
 * birthday bound a few ten thousand tries suffice. Equal lengths matter: the index only compares
 * texts of the length it is looking for.
 */
function collidingPair(format: (n: string) => string): [string, string] {
  const seen = new Map<number, string>();
  for (let n = 0; ; n++) {
    const text = format(String(n).padStart(7, "0"));
    const earlier = seen.get(hash30(text));
    if (earlier !== undefined) return [earlier, text];
    seen.set(hash30(text), text);
  }
}

/**
 * Two different texts `format(n)` whose hashes collide although their lengths differ: the index
 * must compare lengths as well as characters.
 */
function collidingPairOfLengths(format: (n: string) => string): [string, string] {
  const seen = new Map<number, string>();
  for (let n = 0; ; n++) {
    const text = format(String(n));
    const earlier = seen.get(hash30(text));
    if (earlier !== undefined && earlier.length !== text.length) return [earlier, text];
    seen.set(hash30(text), text);
  }
}

/** Colliding whole segments, and colliding whole prefixes (anchors). Each search takes a moment, so once. */
const SEGMENTS = collidingPair((n) => `k${n}`);
const ANCHORS = collidingPair((n) => `p/k${n}`);
const OF_LENGTHS = collidingPairOfLengths((n) => `e/${n}`);
const SLASHED = collidingPair((n) => `l/k${n}/`);

describe("hash collisions", () => {
  it("are real: each pair differs, has one length and one hash", () => {
    for (const [a, b] of [SEGMENTS, ANCHORS, SLASHED]) {
      expect(a).not.toBe(b);
      expect(a.length).toBe(b.length);
      expect(hash30(a)).toBe(hash30(b));
    }
  });

  it("of different lengths are real", () => {
    const [a, b] = OF_LENGTHS;
    expect(a.length).not.toBe(b.length);
    expect(hash30(a)).toBe(hash30(b));
  });

  describe("between exact patterns", () => {
    const [first, second] = ANCHORS;

    it("are told apart", () => {
      const evaluator = evaluatorFor(`path "${first}" { capabilities = ["read"] }\npath "${second}" { capabilities = ["update"] }`);
      expect(evaluator.capabilities(first)).toEqual(["read"]);
      expect(evaluator.capabilities(second)).toEqual(["update"]);
    });

    it("do not let a pattern match the other's path, nor a path of another length with the same hash", () => {
      expect(evaluatorFor(`path "${first}" { capabilities = ["read"] }`).capabilities(second)).toEqual(["deny"]);
      const [short, long] = OF_LENGTHS;
      expect(evaluatorFor(`path "${short}" { capabilities = ["read"] }`).capabilities(long)).toEqual(["deny"]);
      expect(evaluatorFor(`path "${long}" { capabilities = ["read"] }`).capabilities(short)).toEqual(["deny"]);
    });

    it("are told apart when a list request adds or drops the trailing slash", () => {
      // "a/" and "b/" collide here; the list of "b" looks up "b/" (the slash added virtually).
      const [slashed, otherSlashed] = SLASHED;
      const evaluator = evaluatorFor(`path "${slashed}" { capabilities = ["list"] }`);
      expect(allows(evaluator, "list", slashed.slice(0, -1))).toBe(true);
      expect(allows(evaluator, "list", otherSlashed.slice(0, -1))).toBe(false);
      expect(evaluator.capabilities(otherSlashed)).toEqual(["deny"]);
      // "a" and "b" collide here; the list of "b/" also looks up "b".
      const withoutSlash = evaluatorFor(`path "${first}" { capabilities = ["list"] }`);
      expect(allows(withoutSlash, "list", `${first}/`)).toBe(true);
      expect(allows(withoutSlash, "list", `${second}/`)).toBe(false);
    });
  });

  describe("between prefix patterns", () => {
    const [first, second] = ANCHORS;
    const evaluator = evaluatorFor(`path "${first}*" { capabilities = ["read"] }\npath "${second}*" { capabilities = ["update"] }`);

    it("are told apart", () => {
      expect(evaluator.capabilities(`${first}-suffix/more`)).toEqual(["read"]);
      expect(evaluator.capabilities(second)).toEqual(["update"]);
    });

    it("do not let a pattern match the other's paths", () => {
      const one = evaluatorFor(`path "${first}*" { capabilities = ["read"] }`);
      expect(one.capabilities(second)).toEqual(["deny"]);
    });
  });

  describe("between literal segments after a +", () => {
    const [first, second] = SEGMENTS;

    it("are told apart", () => {
      const evaluator = evaluatorFor(`path "+/${first}" { capabilities = ["read"] }\npath "+/${second}" { capabilities = ["update"] }`);
      expect(evaluator.capabilities(`x/${first}`)).toEqual(["read"]);
      expect(evaluator.capabilities(`x/${second}`)).toEqual(["update"]);
      expect(evaluator.capabilities("x/k-other")).toEqual(["deny"]);
    });

    it("do not let a pattern match the other's paths", () => {
      const one = evaluatorFor(`path "+/${first}/x" { capabilities = ["read"] }`);
      expect(one.capabilities(`a/${second}/x`)).toEqual(["deny"]);
    });
  });

  describe("between partial segments after a +", () => {
    const [first, second] = SEGMENTS;

    it("are told apart", () => {
      const evaluator = evaluatorFor(`path "+/${first}*" { capabilities = ["read"] }\npath "+/${second}*" { capabilities = ["update"] }`);
      expect(evaluator.capabilities(`x/${first}zz/y`)).toEqual(["read"]);
      expect(evaluator.capabilities(`x/${second}`)).toEqual(["update"]);
    });

    it("do not let a pattern match the other's paths", () => {
      const one = evaluatorFor(`path "+/${first}*" { capabilities = ["read"] }`);
      expect(one.capabilities(`x/${second}`)).toEqual(["deny"]);
    });
  });
});
