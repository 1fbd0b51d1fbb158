/**
 * Queries per second through a credential pool while it rotates, against a plain `pg.Pool` with
 * fixed credentials, side by side in one run.
 *
 * ```sh
 * npx tsx bench/credential-pool.ts                               # starts an embedded PostgreSQL (or uses PG_URL)
 * BENCH_ROUNDS=16 BENCH_ROUND_MS=1500 npx tsx bench/credential-pool.ts  # a rotation every 3 s
 * BENCH_ROTATE=0 npx tsx bench/credential-pool.ts                # the per-query cost alone, no rotation
 * ```
 *
 * Both pools hold 8 connections to the same database and run `SELECT current_user` from 16
 * concurrent loops. A round runs one side for `BENCH_ROUND_MS` of wall time (which side goes first
 * alternates); in each of the credential pool's rounds the engine's ManualClock is moved past a
 * rotation halfway through (the role's TTL and max TTL are both 1h: one capped renewal, then the
 * rotation), so every one of its rounds pays a full rotation — a renewal, a new lease, new logins,
 * old connections closed and the old user dropped — far more often than a real lease would (hours). The figure is the median over rounds of credential ÷ plain q/s.
 * Ends with one line: `credential-pool: ratio <r> (<qps> vs <qps> q/s, <n> rotations)`.
 */
import { loadavg } from "node:os";
import pg from "pg";
import { Engine, ManualClock, openCredentialPool, type CredentialPool } from "../src/index.js";
import { benchDatabase } from "./bench-fixtures.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 4000);
const POOL_SIZE = 8;
const CONCURRENCY = 16;
/** `BENCH_ROTATE=0` measures the pool's per-query cost alone, without rotations. */
const ROTATE = process.env.BENCH_ROTATE !== "0";

/** Runs `SELECT current_user` from `CONCURRENCY` loops for `ms`; calls `midway` once halfway. Returns q/s and failures. */
async function measure(pool: pg.Pool, ms: number, midway?: () => Promise<void>): Promise<{ qps: number; failed: number }> {
  let done = 0;
  let failed = 0;
  const start = performance.now();
  const until = start + ms;
  const loops = Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < until) {
      try {
        await pool.query("SELECT current_user");
        done++;
      } catch {
        failed++;
      }
    }
  });
  if (midway) {
    await new Promise((resolve) => setTimeout(resolve, ms / 2));
    await midway();
  }
  await Promise.all(loops);
  return { qps: (done * 1000) / (performance.now() - start), failed };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const database = await benchDatabase();
  const url = new URL(database.url);
  const clock = new ManualClock(Date.now());
  const engine = await Engine.open({ clock });
  let credentialPool: CredentialPool<pg.Pool> | undefined;
  const fixed = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
  try {
    const root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/pg", {
      plugin_name: "postgresql-database-plugin",
      allowed_roles: "*",
      connection_url: `postgresql://{{username}}:{{password}}@${url.host}${url.pathname}`,
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    });
    await root.write("database/roles/app", {
      db_name: "pg",
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      default_ttl: "1h",
      max_ttl: "1h",
    });
    await root.write("sys/policy/apps", { policy: 'path "database/creds/app" { capabilities = ["read"] }' });
    const { auth } = await root.write("auth/token/create", { policies: ["apps"], no_default_policy: true });
    credentialPool = await openCredentialPool<pg.Pool>(engine.client(auth!.client_token), {
      path: "database/creds/app",
      connection: { host: url.hostname, port: Number(url.port || 5432), database: url.pathname.slice(1) },
      max: POOL_SIZE,
    });
    const pool = credentialPool;
    let rotations = 0;
    let leaseStart = clock.now();
    pool.on("rotate", () => {
      rotations++;
      leaseStart = clock.now();
    });
    // Past the rotation of a 1h lease with a 1h max TTL — its one renewal at 40m is capped, it is
    // replaced at 53m20s — and before the old lease's end.
    const rotate = async () => clock.advance(leaseStart + 54 * 60 * 1000 - clock.now());

    await measure(fixed, 300);
    await measure(pool, 300);
    const ratios: number[] = [];
    const rates = { credential: [] as number[], plain: [] as number[] };
    let failures = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const before = rotations;
      const sides = [
        async () => rates.plain.push((await measure(fixed, ROUND_MS)).qps),
        async () => {
          const result = await measure(pool, ROUND_MS, ROTATE ? rotate : undefined);
          failures += result.failed;
          rates.credential.push(result.qps);
        },
      ];
      for (const side of round % 2 ? sides.reverse() : sides) await side();
      ratios.push(rates.credential.at(-1)! / rates.plain.at(-1)!);
      console.log(
        `round ${round + 1}: credential ${rates.credential.at(-1)!.toFixed(0)} q/s, plain ${rates.plain.at(-1)!.toFixed(0)} q/s, ratio ${ratios.at(-1)!.toFixed(3)}, rotations +${rotations - before}`,
      );
    }
    const spread = `${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`;
    console.log(`${ROUNDS} rounds of ${ROUND_MS} ms, pools of ${POOL_SIZE}, ${CONCURRENCY} loops; load average ${loadavg()[0]!.toFixed(1)}; ratio spread ${spread}; failed queries ${failures}`);
    console.log(`credential-pool: ratio ${median(ratios).toFixed(3)} (${median(rates.credential).toFixed(0)} vs ${median(rates.plain).toFixed(0)} q/s, ${rotations} rotations)`);
  } finally {
    await credentialPool?.end();
    await fixed.end();
    await engine.close();
    await database.drop();
  }
}

await main();
