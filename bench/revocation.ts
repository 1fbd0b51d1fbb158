/**
 * Revocation throughput against real PostgreSQL: 10,000 leases (each a real role) all expired when
 * the engine opens; measures the time until every role is dropped.
 *
 *   node --import tsx bench/revocation.ts [lease count, default 10000] [concurrency, default 8]
 */
import pg from "pg";
import { Engine, ManualClock, PostgresStorage } from "../src/index.js";
import { benchDatabase, insertLeaseRows, seedStorage } from "./bench-fixtures.js";

const count = Number(process.argv[2] ?? 10_000);
const concurrency = Number(process.argv[3] ?? 8);
const db = await benchDatabase();
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
try {
  const clock = new ManualClock(Date.now());
  const open = () => new PostgresStorage({ connectionString: db.url, table: "bench_storage" });
  const rootToken = await seedStorage(open(), db.url, clock);
  for (let start = 0; start < count; start += 1000) {
    const names = Array.from({ length: Math.min(1000, count - start) }, (_, i) => pg.escapeIdentifier(`v-bench-${start + i}`));
    await pool.query(names.map((name) => `CREATE ROLE ${name} NOLOGIN;`).join("\n"));
  }
  await insertLeaseRows(db.url, "bench_storage", count, clock.now() - 2 * 3600_000, clock.now() - 3600_000);

  const engine = await Engine.open({ storage: open(), clock, revocation: { concurrency }, allowUnencryptedStorage: true }); // as seedStorage
  await engine.leasesRestored();
  const start = performance.now();
  await clock.advance(0); // runs the due timer, which claims and revokes every expired lease
  const seconds = (performance.now() - start) / 1000;
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'v-bench-%'");
  const left = (await pool.query("SELECT count(*)::int AS n FROM vaultlet.bench_storage WHERE key LIKE 'sys/expire/id/%'")).rows[0].n;
  console.log(`revoked ${count} expired leases in ${seconds.toFixed(1)} s: ${Math.round(count / seconds)} revocations/s at concurrency ${concurrency}`);
  console.log(`roles left: ${rows[0].n}, lease records left: ${left}`);
  void rootToken;
  await engine.close();
} finally {
  await pool.end();
  await db.drop();
}
