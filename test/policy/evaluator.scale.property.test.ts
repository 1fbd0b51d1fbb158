/**
 * Property test at scale: rule sets of thousands of rules, so that the compiled index's hash tables
 * are large, its tries are deep and wide, and segments include long (over 30 characters) and
 * non-ASCII text. The compiled PolicyEvaluator must decide exactly as the linear-scan reference.
 *
 * `evaluator.property.test.ts` covers Vault's semantics with a tiny alphabet; this one covers the
 * data structures: requests are derived from the patterns themselves, so that most of them hit a
 * rule, or nearly do.
 */
import { describe, expect, it } from "vitest";
import { PolicyEvaluator, type PathRule, type Policy, type PolicyOperation } from "../../src/policy/policy-api.js";
import { SeededRandom } from "./random.js";
import { ReferenceEvaluator } from "./reference-evaluator.js";

const RULE_SETS = 3;
const RULES_PER_SET = 2000;
const REQUESTS_PER_SET = 1000;
const OPERATIONS: PolicyOperation[] = ["read", "update", "list"];
const ALPHABET = ["a", "b", "c", "-", "é", "✓", "😀"];

/** A segment: usually short, sometimes empty, sometimes longer than a partial-length bit set covers. */
function randomSegment(random: SeededRandom): string {
  const length = random.chance(0.1) ? random.int(28, 40) : random.int(0, 4);
  return Array.from({ length }, () => random.pick(ALPHABET)).join("");
}

function randomPattern(random: SeededRandom, heads: string[]): string {
  const head = random.chance(0.7) && heads.length > 0 ? random.pick(heads) : randomSegment(random);
  const segments = [head, ...Array.from({ length: random.int(0, 4) }, () => (random.chance(0.25) ? "+" : randomSegment(random)))];
  let pattern = segments.join("/");
  if (random.chance(0.4)) pattern += random.pick(["*", "/*"]);
  return pattern.replaceAll("+*", "+/*");
}

function randomPolicies(random: SeededRandom): Policy[] {
  const heads = Array.from({ length: 20 }, () => randomSegment(random));
  const rules: PathRule[] = Array.from({ length: RULES_PER_SET }, () => ({
    pattern: randomPattern(random, heads),
    capabilities: random.chance(0.05) ? ["deny"] : random.subset(["read", "update", "list", "sudo"] as const, 0.5),
  }));
  return [{ name: "big", raw: "", rules }];
}

/** A path near a pattern: wildcards filled in, and maybe extended, truncated or given a slash. */
function pathNear(random: SeededRandom, pattern: string): string {
  let path = pattern.endsWith("*") ? pattern.slice(0, -1) + (random.chance(0.5) ? randomSegment(random) : "") : pattern;
  path = path
    .split("/")
    .map((segment) => (segment === "+" ? randomSegment(random) : segment))
    .join("/");
  if (random.chance(0.15)) path = path.slice(0, random.int(0, path.length));
  if (random.chance(0.15)) path += `/${randomSegment(random)}`;
  if (random.chance(0.15)) path += "/";
  return path;
}

describe("compiled evaluator agrees with the reference evaluator at scale", () => {
  it(`on ${RULE_SETS} rule sets of ${RULES_PER_SET} rules × ${REQUESTS_PER_SET} requests`, () => {
    let allowedCount = 0;
    for (let seed = 1; seed <= RULE_SETS; seed++) {
      const random = new SeededRandom(seed);
      const policies = randomPolicies(random);
      const patterns = policies[0]!.rules.map((rule) => rule.pattern);
      const compiled = new PolicyEvaluator(policies);
      const reference = new ReferenceEvaluator(policies);
      for (let n = 0; n < REQUESTS_PER_SET; n++) {
        const request = { path: pathNear(random, random.pick(patterns)), operation: random.pick(OPERATIONS) };
        const expected = reference.evaluate(request);
        expect({ seed, request, result: compiled.evaluate(request) }).toEqual({ seed, request, result: expected });
        expect({ seed, path: request.path, capabilities: compiled.capabilities(request.path) }).toEqual({
          seed,
          path: request.path,
          capabilities: reference.capabilities(request.path),
        });
        if (expected.allowed) allowedCount++;
      }
    }
    // Most requests must hit some rule, or agreement would prove little.
    expect(allowedCount).toBeGreaterThan(RULE_SETS * REQUESTS_PER_SET * 0.3);
  });
});
