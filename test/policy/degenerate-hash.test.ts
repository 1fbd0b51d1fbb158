/**
 * The segment tries file every node's edges and partials in two shared hash tables. Here the key
 * function is replaced by one under which *every* key collides, so each lookup must walk all
 * entries and reject those of other nodes or other texts: the evaluator must still decide exactly
 * as the linear-scan reference.
 */
import { describe, expect, it, vi } from "vitest";
import { PolicyEvaluator, type PathRule } from "../../src/policy/policy-api.js";
import { ReferenceEvaluator } from "./reference-evaluator.js";

vi.mock("../../src/policy/index/edge-key.js", () => ({ edgeKey: () => 0 }));

const RULES: PathRule[] = [
  { pattern: "+/a/x", capabilities: ["read"] },
  { pattern: "+/b/x", capabilities: ["update"] },
  { pattern: "+/a/+/y", capabilities: ["list"] },
  { pattern: "+/b/+/a", capabilities: ["delete"] },
  { pattern: "s/+/a*", capabilities: ["create"] },
  { pattern: "s/+/ab*", capabilities: ["patch"] },
  { pattern: "s/+/b", capabilities: ["sudo", "read"] },
  { pattern: "t/+/a/b", capabilities: ["read", "list"] },
  { pattern: "t/+/b/a", capabilities: ["update"] },
  { pattern: "t/+/b*", capabilities: ["delete"] },
];
const SEGMENTS = ["a", "b", "ab", "ba", "x", "y", "s", "t", ""];

/** Every path of up to four segments over `SEGMENTS`. */
function* paths(prefix: string, depth: number): Generator<string> {
  if (depth === 0) return;
  for (const segment of SEGMENTS) {
    const path = prefix === "" ? segment : `${prefix}/${segment}`;
    yield path;
    yield* paths(path, depth - 1);
  }
}

describe("segment tries under a key function where every key collides", () => {
  const policies = [{ name: "p", raw: "", rules: RULES }];
  const compiled = new PolicyEvaluator(policies);
  const reference = new ReferenceEvaluator(policies);

  it("decide every path as the reference does", () => {
    let matched = 0;
    for (const path of paths("", 4)) {
      expect({ path, capabilities: compiled.capabilities(path) }).toEqual({ path, capabilities: reference.capabilities(path) });
      if (reference.capabilities(path)[0] !== "deny") matched++;
    }
    expect(matched).toBeGreaterThan(100);
  });
});
