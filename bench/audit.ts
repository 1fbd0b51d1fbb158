/**
 * The cost of one file audit device on creds throughput, against a real PostgreSQL.
 *
 * ```sh
 * npx tsx bench/audit.ts                 # defaults: 10 rounds × 200 creds, 8 in flight
 * ROUNDS=4 REQUESTS=500 CONCURRENCY=16 npx tsx bench/audit.ts
 * ```
 *
 * Starts the test harness's PostgreSQL (PG_URL, a container, or the embedded server), then
 * alternates rounds without and with a `file` audit device on the same engine setup, so drift
 * (autovacuum, the other tenant of the machine) hits both sides alike. Each round issues
 * REQUESTS `database/creds/<role>` (one CREATE ROLE each) with CONCURRENCY in flight; leases are
 * revoked between rounds, untimed. A first warm-up round (both sides) is not counted. Prints creds/s per round, the medians and their ratio, and the
 * same for a request that never leaves the process (`auth/token/lookup-self`), which bounds the
 * audit device's own cost per request.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../src/index.js";
import { createDatabase, startPostgres } from "../test/support/postgres-server.js";

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const REQUESTS = Number(process.env.REQUESTS ?? 200);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const LOCAL_REQUESTS = Number(process.env.LOCAL_REQUESTS ?? 10_000);

interface Setup {
  engine: Engine;
  rootToken: string;
}

async function openEngine(connectionUrl: string, user: string, password: string, auditFile?: string): Promise<Setup> {
  const engine = await Engine.open();
  const { rootToken } = await engine.initialize();
  const root = engine.client(rootToken);
  if (auditFile) await root.write("sys/audit/file", { type: "file", options: { file_path: auditFile } });
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/pg", { plugin_name: "postgresql-database-plugin", allowed_roles: "bench", connection_url: connectionUrl, username: user, password });
  await root.write("database/roles/bench", {
    db_name: "pg",
    creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
    default_ttl: "1h",
  });
  return { engine, rootToken };
}

/**
 * Runs `total` calls of `task` with `concurrency` in flight; returns calls per second, and this
 * process's CPU time per call in µs (steadier than wall time on a shared machine).
 */
async function measure(total: number, concurrency: number, task: () => Promise<unknown>): Promise<{ perSecond: number; cpuMicros: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await task();
    }),
  );
  const used = process.cpuUsage(cpu);
  return { perSecond: total / ((performance.now() - started) / 1000), cpuMicros: (used.user + used.system) / total };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const server = await startPostgres();
  const database = await createDatabase(server, `bench_audit_${Date.now().toString(36)}`);
  const dir = await mkdtemp(join(tmpdir(), "vaultlet-bench-audit-"));
  const connectionUrl = `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/${database.name}`;
  const results = { without: [] as number[], with: [] as number[], localWithout: [] as number[], localWith: [] as number[] };
  const cpu = { without: [] as number[], with: [] as number[] };
  const pairedRatios: number[] = [];
  console.log(`PostgreSQL (${server.kind}) ${server.host}:${server.port}; ${ROUNDS} rounds × ${REQUESTS} creds, ${CONCURRENCY} in flight; Node ${process.version}`);
  try {
    for (let round = -1; round < ROUNDS; round++) {
      const perSide: Record<string, number> = {};
      // Alternate which side goes first, so neither always runs on a warmer server.
      const order: Array<"without" | "with"> = round % 2 === 0 ? ["without", "with"] : ["with", "without"];
      for (const side of order) {
        const auditFile = side === "with" ? join(dir, `audit-${round}.log`) : undefined;
        const { engine, rootToken } = await openEngine(connectionUrl, server.user, server.password, auditFile);
        const root = engine.client(rootToken);
        await root.read("database/creds/bench"); // warm the connection pool
        const { perSecond: creds, cpuMicros } = await measure(REQUESTS, CONCURRENCY, () => root.read("database/creds/bench"));
        const { perSecond: local } = await measure(LOCAL_REQUESTS, CONCURRENCY, () => root.read("auth/token/lookup-self"));
        await root.write("sys/leases/revoke-prefix/database/creds/bench", {});
        await engine.close();
        perSide[side] = creds;
        if (round >= 0) {
          results[side].push(creds);
          cpu[side].push(cpuMicros);
          results[side === "with" ? "localWith" : "localWithout"].push(local);
        }
        const size = auditFile ? ` (audit file ${((await stat(auditFile)).size / 1e6).toFixed(1)} MB)` : "";
        console.log(`${round < 0 ? "warm-up" : `round ${round + 1}`} ${side.padEnd(7)} audit: ${creds.toFixed(0).padStart(5)} creds/s (${cpuMicros.toFixed(0)} µs CPU each), ${local.toFixed(0).padStart(6)} lookup-self/s${size}`);
      }
      if (round >= 0) pairedRatios.push(perSide.with! / perSide.without!);
    }
  } finally {
    await database.drop().catch(() => undefined);
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const ratio = median(results.with) / median(results.without);
  const localRatio = median(results.localWith) / median(results.localWithout);
  console.log(`\ncreds/s median: without audit ${median(results.without).toFixed(0)}, with one file audit device ${median(results.with).toFixed(0)}`);
  console.log(`creds throughput with audit ÷ without: ${ratio.toFixed(3)} (ratio of medians; median of per-round ratios ${median(pairedRatios).toFixed(3)}; goal ≥ 0.95)`);
  console.log(`engine-process CPU per creds, median: without ${median(cpu.without).toFixed(0)} µs, with ${median(cpu.with).toFixed(0)} µs`);
  console.log(`lookup-self/s median: without ${median(results.localWithout).toFixed(0)}, with ${median(results.localWith).toFixed(0)} → ratio ${localRatio.toFixed(3)}`);
}

await main();
