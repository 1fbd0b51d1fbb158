/**
 * Revocation throughput against real PostgreSQL: 10,000 leases (each a real role) all expired when
 * the engine opens; measures the time until every role is dropped.
 *
 *   node --import tsx bench/revocation.ts [lease count, default 10000] [concurrency, default 8]
 */
import { Engine } from "../src/index.js";
import { createBenchRoles, insertLeaseRows, openLeaseBench } from "./bench-fixtures.js";

const count = Number(process.argv[2] ?? 10_000);
const concurrency = Number(process.argv[3] ?? 8);
const { url, admin: pool, clock, open, close } = await openLeaseBench("bench_storage");
try {
  await createBenchRoles(pool, count);
  await insertLeaseRows(url, "bench_storage", count, clock.now() - 2 * 3600_000, clock.now() - 3600_000);

  const engine = await Engine.open({ storage: open(), clock, revocation: { concurrency }, allowUnencryptedStorage: true }); // as seedStorage
  await engine.leasesRestored();
  const start = performance.now();
  await clock.advance(0); // runs the due timer, which claims and revokes every expired lease
  const seconds = (performance.now() - start) / 1000;
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'v-bench-%'");
  const left = (await pool.query("SELECT count(*)::int AS n FROM vaultlet.bench_storage WHERE key LIKE 'sys/expire/id/%'")).rows[0].n;
  console.log(`revoked ${count} expired leases in ${seconds.toFixed(1)} s: ${Math.round(count / seconds)} revocations/s at concurrency ${concurrency}`);
  console.log(`roles left: ${rows[0].n}, lease records left: ${left}`);
  await engine.close();
} finally {
  await close();
}
