/**
 * Policy evaluation throughput at 10, 1,000 and 100,000 rules.
 *
 *   npx tsx bench/policy.ts            (10, 1,000 and 100,000 rules)
 *   npx tsx bench/policy.ts 100000     (only the sizes given)
 *
 * Rules are a realistic mix — a third exact paths, a third prefix (`*`) patterns, a third with `+`
 * segment wildcards — spread over policies of 100 rules each, as a token with many policies would
 * have. A pool of 4,096 requests hits exact rules, prefix rules, `+` rules and nothing at all
 * (one in eight), with a mix of operations (read, update with data, list). The pool has about as
 * many distinct paths at every size, so the sizes differ only in their rules. Each size is
 * measured for at least one second after a warm-up.
 *
 * A second, clearly separate workload ("distinct paths") cycles over a pool of 131,072 requests,
 * so that the working set of paths no longer fits in the CPU caches: it shows the rate for paths
 * that are not hot. The goal is judged on the first workload.
 *
 * Two rates are printed: evaluations per second of wall-clock time (process.hrtime.bigint()), and
 * evaluations per second of CPU time this process actually got (process.cpuUsage()). On a quiet
 * machine they agree; when other processes compete for the cores, the wall-clock rate drops and the
 * CPU-time rate shows what the code does with the time it gets.
 */
import { PolicyEvaluator, parsePolicy, type EvaluationRequest, type Policy } from "../src/policy/policy-api.js";

/** `npx tsx bench/policy.ts 100000` measures only the sizes given. */
const RULE_COUNTS = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [10, 1_000, 100_000];
const RULES_PER_POLICY = 100;
const MEASURE_NS = 1_000_000_000n;
const BATCH = 10_000;
const REQUEST_POOL = 4096;
/** The pool of the "distinct paths" workload: 32 times the goal workload's pool. */
const DISTINCT_POOL = 131_072;

/**
 * The i-th rule as HCL, and the path of its `variant`-th request: several distinct paths per
 * non-exact rule (different keys under a prefix, different values for a `+`), so that the request
 * stream has as many distinct paths with 10 rules as with 100,000, and only the rules differ.
 */
function ruleAt(i: number): { hcl: string; request: (variant: number) => string } {
  const team = `team-${i % 97}`;
  switch (i % 6) {
    case 0:
      return { hcl: block(`secret/data/${team}/app-${i}/config`, '["read", "update"]'), request: () => `secret/data/${team}/app-${i}/config` };
    case 1:
      return { hcl: block(`database/creds/role-${i}`, '["read"]'), request: () => `database/creds/role-${i}` };
    case 2:
      return { hcl: block(`secret/data/${team}/app-${i}/*`, '["read", "list"]'), request: (v) => `secret/data/${team}/app-${i}/key-${v}` };
    case 3:
      return { hcl: block(`kv/app-${i}*`, '["create", "read", "update", "delete", "list"]'), request: (v) => `kv/app-${i}-${v}/settings` };
    case 4:
      return {
        hcl: block(`secret/+/${team}/svc-${i}/*`, '["read", "list"]'),
        request: (v) => `secret/${["metadata", "data", "destroy"][v % 3]}/${team}/svc-${i}/k${v}`,
      };
    default:
      return {
        hcl: `path "database/+/role-${i}" {\n  capabilities = ["read", "update"]\n  allowed_parameters = { "ttl" = ["1h", "2h"] }\n}\n`,
        request: (v) => `database/${["static-creds", "creds", "roles"][v % 3]}/role-${i}`,
      };
  }
}

function block(pattern: string, capabilities: string): string {
  return `path "${pattern}" {\n  capabilities = ${capabilities}\n}\n`;
}

function buildPolicies(ruleCount: number): { policies: Policy[]; requestPaths: Array<(variant: number) => string> } {
  const policies: Policy[] = [];
  const requestPaths: Array<(variant: number) => string> = [];
  for (let start = 0; start < ruleCount; start += RULES_PER_POLICY) {
    let text = "";
    for (let i = start; i < Math.min(start + RULES_PER_POLICY, ruleCount); i++) {
      const rule = ruleAt(i);
      text += rule.hcl;
      requestPaths.push(rule.request);
    }
    policies.push(parsePolicy(`bench-${start / RULES_PER_POLICY}`, text));
  }
  return { policies, requestPaths };
}

/** A pool of requests: one in eight for an unmounted path, the rest spread over the rules. */
function buildRequests(requestPaths: Array<(variant: number) => string>, poolSize: number): EvaluationRequest[] {
  const requests: EvaluationRequest[] = [];
  for (let n = 0; n < poolSize; n++) {
    const path = n % 8 === 7 ? `unmounted/team-${n % 13}/thing-${n}` : requestPaths[(n * 7919) % requestPaths.length]!(n);
    const operation = (["read", "read", "update", "list"] as const)[n % 4]!;
    const data = operation === "update" ? { ttl: n % 2 === 0 ? "1h" : "3h" } : undefined;
    requests.push(data ? { path, operation, data } : { path, operation });
  }
  return requests;
}

interface Measurement {
  /** Evaluations per wall-clock second. */
  rate: number;
  /** Evaluations per second of CPU time used by this process. */
  cpuRate: number;
  /** Share of evaluations that were allowed (a sanity check on the request mix). */
  allowed: number;
}

function measure(evaluator: PolicyEvaluator, requests: EvaluationRequest[]): Measurement {
  let allowed = 0;
  let evaluations = 0;
  const mask = requests.length - 1; // a power of two
  const run = (count: number) => {
    for (let n = 0; n < count; n++) {
      if (evaluator.evaluate(requests[(evaluations + n) & mask]!).allowed) allowed++;
    }
    evaluations += count;
  };
  run(200_000); // warm-up, so the JIT has optimized the lookup before we time it
  allowed = 0;
  evaluations = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < MEASURE_NS) {
    run(BATCH);
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(cpuStart);
  return {
    rate: (evaluations * 1e9) / Number(elapsed),
    cpuRate: (evaluations * 1e6) / (cpu.user + cpu.system),
    allowed: allowed / evaluations,
  };
}

function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString("en-US").padStart(10);
}

function main(): void {
  console.log(`Policy evaluation — Node ${process.version}, ${process.platform}/${process.arch}`);
  const results = new Map<number, Measurement>();
  const distinct = new Map<number, Measurement>();
  for (const ruleCount of RULE_COUNTS) {
    const { policies, requestPaths } = buildPolicies(ruleCount);
    const compileStart = process.hrtime.bigint();
    const evaluator = new PolicyEvaluator(policies);
    const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
    const result = measure(evaluator, buildRequests(requestPaths, REQUEST_POOL));
    results.set(ruleCount, result);
    console.log(
      `${ruleCount.toLocaleString("en-US").padStart(7)} rules: ${formatRate(result.rate)} evaluations/s` +
        ` (${formatRate(result.cpuRate)} per CPU-second)  compile ${compileMs.toFixed(0)} ms, ${(result.allowed * 100).toFixed(0)}% allowed`,
    );
  }
  report(results);
  // Measured after the goal's workload, so that it runs exactly as before this workload existed.
  for (const ruleCount of RULE_COUNTS) {
    const { policies, requestPaths } = buildPolicies(ruleCount);
    distinct.set(ruleCount, measure(new PolicyEvaluator(policies), buildRequests(requestPaths, DISTINCT_POOL)));
  }
  console.log(`\nSecond workload, not the goal's: ${DISTINCT_POOL.toLocaleString("en-US")} distinct requests (paths that are not hot)`);
  for (const [ruleCount, result] of distinct) {
    console.log(
      `${ruleCount.toLocaleString("en-US").padStart(7)} rules: ${formatRate(result.rate)} evaluations/s` +
        ` (${formatRate(result.cpuRate)} per CPU-second)  ${(result.allowed * 100).toFixed(0)}% allowed`,
    );
  }
  report(distinct);
}

function report(results: Map<number, Measurement>): void {
  const [smallest, largest] = [results.get(10), results.get(100_000)];
  if (smallest && largest) {
    const wall = (largest.rate / smallest.rate).toFixed(2);
    const cpu = (largest.cpuRate / smallest.cpuRate).toFixed(2);
    console.log(`ratio 100,000-rule rate / 10-rule rate: ${wall} (per CPU-second: ${cpu})`);
  }
}

main();
