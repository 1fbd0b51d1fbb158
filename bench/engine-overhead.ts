/**
 * The engine's own cost per credential, without a database: `database/creds/<role>` and
 * `sys/leases/revoke` through a no-op plugin (the test fake), on `MemoryStorage`.
 *
 * ```sh
 * npx tsx bench/engine-overhead.ts
 * ```
 *
 * Two figures, in µs of this process's CPU time per operation:
 * - **hot**: 16 requests in flight back to back, so the code and its data stay in the CPU caches
 *   (best of 5 rounds of 10,000);
 * - **after idle**: one request at a time with a 2 ms sleep before each, as between round trips to
 *   a real database, so each request starts from cold caches (median of 5 rounds of 300).
 *
 * `bench/creds.ts` sets these against PostgreSQL's own time; docs/benchmarks.md explains the gap.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Engine, ManualClock, MemoryStorage, type Client } from "../src/index.js";
import { FakeDatabase } from "../test/fakes/fake-database-plugin.js";

const ROUNDS = 5;
const HOT_OPS = 10_000;
const IDLE_OPS = 300;
const IDLE_MS = 2;

async function openEngine(): Promise<{ engine: Engine; root: Client }> {
  const database = new FakeDatabase();
  const engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock(), plugins: [database.plugin("fake")] });
  const root = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/fake", { plugin_name: "fake", allowed_roles: "*" });
  await root.write("database/roles/bench", {
    db_name: "fake",
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`],
    default_ttl: "1h",
  });
  return { engine, root };
}

/** CPU µs used by `op`, measured around it alone. */
async function cpuMicros(op: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await op();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

async function hotRound(root: Client): Promise<{ issue: number; revoke: number }> {
  const leases: string[] = [];
  const inFlight = (op: () => Promise<void>) => Promise.all(Array.from({ length: 16 }, op));
  let next = 0;
  const issue = await cpuMicros(() =>
    inFlight(async () => {
      while (next++ < HOT_OPS) leases.push((await root.read("database/creds/bench")).lease_id);
    }),
  );
  const revoke = await cpuMicros(() =>
    inFlight(async () => {
      for (let lease = leases.pop(); lease !== undefined; lease = leases.pop()) await root.write("sys/leases/revoke", { lease_id: lease });
    }),
  );
  return { issue: issue / HOT_OPS, revoke: revoke / HOT_OPS };
}

async function idleRound(root: Client): Promise<{ issue: number; revoke: number }> {
  let issue = 0;
  let revoke = 0;
  for (let n = 0; n < IDLE_OPS; n++) {
    await sleep(IDLE_MS);
    let lease = "";
    issue += await cpuMicros(async () => (lease = (await root.read("database/creds/bench")).lease_id));
    await sleep(IDLE_MS);
    revoke += await cpuMicros(() => root.write("sys/leases/revoke", { lease_id: lease }));
  }
  return { issue: issue / IDLE_OPS, revoke: revoke / IDLE_OPS };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

async function main(): Promise<void> {
  const { engine, root } = await openEngine();
  await hotRound(root); // warm-up: the JIT optimizes the path before anything is timed
  const hot = [];
  for (let round = 0; round < ROUNDS; round++) hot.push(await hotRound(root));
  const idle = [];
  for (let round = 0; round < ROUNDS; round++) idle.push(await idleRound(root));
  console.log(`Engine CPU per operation, no database — Node ${process.version}`);
  console.log("| operation | hot, 16 in flight (best of 5) | after 2 ms idle, one at a time (median of 5) |");
  console.log("| --- | --- | --- |");
  for (const operation of ["issue", "revoke"] as const) {
    const best = Math.min(...hot.map((round) => round[operation])).toFixed(1);
    const cold = median(idle.map((round) => round[operation])).toFixed(1);
    console.log(`| ${operation} | ${best} µs | ${cold} µs |`);
  }
  await engine.close();
}

await main();
