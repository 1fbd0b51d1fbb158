/**
 * The compiled index looks path prefixes and segments up by a 30-bit hash and confirms every hit
 * against the text. These tests build texts whose hashes collide, to prove the confirmation works
 * wherever hashes are used: prefix anchors, literal segments, and partial segments.
 */
import { describe, expect, it } from "vitest";
import { evaluatorFor } from "./helpers.js";

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

/** Colliding whole segments, and colliding whole prefixes (anchors). Each search takes a moment, so once. */
const SEGMENTS = collidingPair((n) => `k${n}`);
const ANCHORS = collidingPair((n) => `p/k${n}`);

describe("hash collisions", () => {
  it("are real: each pair differs, has one length and one hash", () => {
    for (const [a, b] of [SEGMENTS, ANCHORS]) {
      expect(a).not.toBe(b);
      expect(a.length).toBe(b.length);
      expect(hash30(a)).toBe(hash30(b));
    }
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
