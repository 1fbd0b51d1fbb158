/**
 * The compiled index keys path segments by a 30-bit hash and confirms every hit against the text.
 * These tests build segments whose hashes collide, to prove that the confirmation works.
 */
import { describe, expect, it } from "vitest";
import { evaluatorFor } from "./helpers.js";

/** The same FNV-1a variant the index uses, masked to 30 bits. */
function hash30(text: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 16777619);
  return hash & 0x3fffffff;
}

/** Two different strings with the same hash (by the birthday bound, a few ten thousand tries suffice). */
function collidingPair(): [string, string] {
  const seen = new Map<number, string>();
  for (let n = 0; ; n++) {
    const text = `k${n}`;
    const earlier = seen.get(hash30(text));
    if (earlier !== undefined) return [earlier, text];
    seen.set(hash30(text), text);
  }
}

describe("segments whose hashes collide", () => {
  const [first, second] = collidingPair();

  it("are a real collision", () => {
    expect(first).not.toBe(second);
    expect(hash30(first)).toBe(hash30(second));
  });

  it("are told apart as literal segments", () => {
    const evaluator = evaluatorFor(`path "+/${first}" { capabilities = ["read"] }\npath "+/${second}" { capabilities = ["update"] }`);
    expect(evaluator.capabilities(`x/${first}`)).toEqual(["read"]);
    expect(evaluator.capabilities(`x/${second}`)).toEqual(["update"]);
    expect(evaluator.capabilities("x/k-other")).toEqual(["deny"]);
  });

  it("are told apart as prefix patterns", () => {
    const evaluator = evaluatorFor(`path "p/${first}*" { capabilities = ["read"] }\npath "p/${second}*" { capabilities = ["update"] }`);
    expect(evaluator.capabilities(`p/${first}-suffix/more`)).toEqual(["read"]);
    expect(evaluator.capabilities(`p/${second}`)).toEqual(["update"]);
  });

  it("do not let one segment's rule match the other when only one has a rule", () => {
    const evaluator = evaluatorFor(`path "+/${first}" { capabilities = ["read"] }\npath "p/${first}*" { capabilities = ["read"] }`);
    expect(evaluator.capabilities(`x/${second}`)).toEqual(["deny"]);
    expect(evaluator.capabilities(`p/${second}`)).toEqual(["deny"]);
  });
});
