/**
 * Property test: for thousands of random rule sets and requests, the compiled PolicyEvaluator
 * decides exactly as the linear-scan reference written straight from Vault's rules.
 *
 * Segments come from a tiny alphabet so that patterns overlap often: exact, prefix and `+`
 * patterns compete for the same paths, the same pattern recurs across policies (merging, deny),
 * and list requests exercise the trailing-slash fallbacks.
 */
import { describe, expect, it } from "vitest";
import { PolicyEvaluator, type Capability, type PathRule, type Policy, type PolicyOperation } from "../../src/policy/policy-api.js";
import { SeededRandom } from "./random.js";
import { ReferenceEvaluator, type ReferenceRequest } from "./reference-evaluator.js";

const RULE_SETS = 3000;
const REQUESTS_PER_SET = 25;

const PATTERN_SEGMENTS = ["a", "b", "ab", "+", "+", "", "+b"];
const PATH_SEGMENTS = ["a", "b", "ab", "abc", "ba", "", "+b"];
const CAPABILITIES: Capability[] = ["create", "read", "update", "patch", "delete", "list", "sudo", "subscribe", "recover"];
const OPERATIONS: PolicyOperation[] = ["read", "create", "update", "delete", "list", "patch", "subscribe", "recover"];
const PARAMETER_NAMES = ["k", "K", "x", "*"];
const PARAMETER_VALUES: unknown[] = ["v", "w", "v*", "*w", "*", "", 1, true];
const DATA_VALUES: unknown[] = ["v", "w", "vw", "v, w", "", "*", ["v", "w"], ["v"], 1, null];

function randomPattern(random: SeededRandom): string {
  const segments = Array.from({ length: random.int(1, 4) }, () => random.pick(PATTERN_SEGMENTS));
  let pattern = segments.join("/");
  if (random.chance(0.45)) pattern += random.pick(["*", "/*"]);
  if (random.chance(0.05)) pattern = `/${pattern}`;
  // "+*" is a parse error in Vault; the parser would reject it, so the generator avoids it.
  return pattern.replaceAll("+*", "+/*");
}

function randomConstraints(random: SeededRandom): Record<string, unknown[]> | undefined {
  if (!random.chance(0.3)) return undefined;
  const constraints: Record<string, unknown[]> = {};
  for (const name of random.subset(PARAMETER_NAMES, 0.4)) {
    constraints[name.toLowerCase()] = random.subset(PARAMETER_VALUES, 0.25);
  }
  return constraints;
}

/** Reusing earlier patterns makes rules for the same pattern meet, so merging gets exercised. */
function randomRule(random: SeededRandom, earlierPatterns: string[]): PathRule {
  const reuse = earlierPatterns.length > 0 && random.chance(0.3);
  const pattern = reuse ? random.pick(earlierPatterns) : randomPattern(random);
  earlierPatterns.push(pattern);
  const rule: PathRule = {
    pattern,
    capabilities: random.chance(0.1) ? ["deny"] : random.subset(CAPABILITIES, 0.5),
  };
  const allowed = randomConstraints(random);
  const denied = randomConstraints(random);
  if (allowed) rule.allowedParameters = allowed;
  if (denied) rule.deniedParameters = denied;
  if (random.chance(0.1)) rule.requiredParameters = random.subset(["k", "K", "x"], 0.5);
  if (random.chance(0.08)) rule.minWrappingTtl = random.int(1, 60);
  if (random.chance(0.08)) rule.maxWrappingTtl = random.int(30, 120);
  return rule;
}

function randomPolicies(random: SeededRandom): Policy[] {
  const earlierPatterns: string[] = [];
  return Array.from({ length: random.int(1, 3) }, (_, index) => ({
    name: `p${index}`,
    raw: "",
    rules: Array.from({ length: random.int(1, 10) }, () => randomRule(random, earlierPatterns)),
  }));
}

function randomPath(random: SeededRandom): string {
  const segments = Array.from({ length: random.int(1, 5) }, () => random.pick(PATH_SEGMENTS));
  let path = segments.join("/");
  if (random.chance(0.2)) path += "/";
  if (random.chance(0.05)) path = `/${path}`;
  return path;
}

function randomRequest(random: SeededRandom): ReferenceRequest & { operation: PolicyOperation } {
  const request: ReferenceRequest & { operation: PolicyOperation } = {
    path: randomPath(random),
    operation: random.pick(OPERATIONS),
  };
  if (random.chance(0.6)) {
    request.data = Object.fromEntries(random.subset(["k", "K", "x", "y"], 0.4).map((key) => [key, random.pick(DATA_VALUES)]));
  }
  if (random.chance(0.3)) request.wrapTtl = random.int(0, 150);
  return request;
}

describe("compiled evaluator agrees with the reference evaluator", () => {
  it(`on ${RULE_SETS} random rule sets × ${REQUESTS_PER_SET} requests`, { timeout: 180_000 }, () => {
    let allowedCount = 0;
    let sudoCount = 0;
    for (let seed = 1; seed <= RULE_SETS; seed++) {
      const random = new SeededRandom(seed);
      const policies = randomPolicies(random);
      const compiled = new PolicyEvaluator(policies);
      const reference = new ReferenceEvaluator(policies);
      for (let n = 0; n < REQUESTS_PER_SET; n++) {
        const request = randomRequest(random);
        const expected = reference.evaluate(request);
        const context = { seed, request, policies: policies.map((policy) => policy.rules) };
        expect({ ...context, result: compiled.evaluate(request) }).toEqual({ ...context, result: expected });
        expect(compiled.capabilities(request.path)).toEqual(reference.capabilities(request.path));
        // refusal (the holder rule's question) says "denied" exactly when evaluate does.
        if ((compiled.refusal(request) === undefined) !== expected.allowed) expect.fail(`refusal disagrees with evaluate: ${JSON.stringify(context)}`);
        if (expected.allowed) allowedCount++;
        if (expected.sudo) sudoCount++;
      }
    }
    // The generator must exercise both outcomes, or agreement would prove little.
    const total = RULE_SETS * REQUESTS_PER_SET;
    expect(allowedCount).toBeGreaterThan(total * 0.05);
    expect(allowedCount).toBeLessThan(total * 0.95);
    expect(sudoCount).toBeGreaterThan(total * 0.02);
  });
});
