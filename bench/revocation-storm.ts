/**
 * Revocation storm: an engine opens on PostgresStorage holding N leases (default 100,000) that all
 * expired while it was down, each with a real role in PostgreSQL. Measures the time until every
 * role is dropped and every lease record is gone, and the p99 latency of creds requests served
 * during the storm against the same engine idle (before the storm starts).
 *
 *   node --import tsx bench/revocation-storm.ts [--leases N] [--concurrency C] [--samples S]
 *
 * `--samples` idle creds requests are timed (default 200); `--samples 0` runs the storm alone.
 *
 * Ends with: `storm: <n> leases revoked in <s> s (<rate>/s), creds p99 <ms> ms during vs <ms> ms
 * idle, dropped once: <yes|no>` — "dropped once" checks that no role is left, no lease record is
 * left, and the engine reported each lease revoked exactly once (`lease.revoked`).
 */
import { parseArgs } from "node:util";
import { Engine } from "../src/index.js";
import { createBenchRoles, insertLeaseRows, openLeaseBench } from "./bench-fixtures.js";

const { values: args } = parseArgs({
  options: { leases: { type: "string", default: "100000" }, concurrency: { type: "string" }, samples: { type: "string", default: "200" } },
});
const count = Number(args.leases);
const samples = Number(args.samples);
const TABLE = "storm_storage";

const { url, admin, clock, rootToken, open, close } = await openLeaseBench(TABLE);
try {
  const setup = performance.now();
  await createBenchRoles(admin, count);
  await insertLeaseRows(url, TABLE, count, clock.now() - 2 * 3600_000, clock.now() - 3600_000);
  console.log(`fixture: ${count} roles and expired leases written in ${((performance.now() - setup) / 1000).toFixed(1)} s`);

  const revocation = args.concurrency ? { concurrency: Number(args.concurrency) } : undefined;
  const engine = await Engine.open({ storage: open(), clock, revocation, allowUnencryptedStorage: true }); // as seedStorage
  const revokedTimes = new Map<string, number>();
  engine.on("lease.revoked", ({ leaseId }) => {
    revokedTimes.set(leaseId, (revokedTimes.get(leaseId) ?? 0) + 1);
  });
  await engine.leasesRestored();
  const client = engine.client(rootToken);
  const creds = async (): Promise<number> => {
    const start = performance.now();
    await client.read("database/creds/bench");
    return performance.now() - start;
  };

  for (let i = 0; i < 20; i++) await creds(); // warm-up
  const idle: number[] = [];
  for (let i = 0; i < samples; i++) idle.push(await creds());

  const start = performance.now();
  let stormDone = false;
  const storm = clock.advance(0).then(() => (stormDone = true)); // the due timer claims and revokes every expired lease
  const during: number[] = [];
  while (!stormDone && samples > 0) during.push(await creds()); // --samples 0: the storm alone
  await storm;
  const seconds = (performance.now() - start) / 1000;

  const rolesLeft = (await admin.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'v-bench-%'")).rows[0].n as number;
  const recordsLeft = (await admin.query(`SELECT count(*)::int AS n FROM vaultlet.${TABLE} WHERE key LIKE 'sys/expire/id/database/creds/bench/lease%'`)).rows[0].n as number;
  const stormRevoked = [...revokedTimes].filter(([id]) => /\/lease\d{8}$/.test(id));
  const once = rolesLeft === 0 && recordsLeft === 0 && stormRevoked.length === count && stormRevoked.every(([, times]) => times === 1);
  console.log(`roles left: ${rolesLeft}, lease records left: ${recordsLeft}, leases reported revoked: ${stormRevoked.length} (more than once: ${stormRevoked.filter(([, t]) => t > 1).length})`);
  console.log(`creds during the storm: ${during.length} requests; idle: ${idle.length}`);
  console.log(
    `storm: ${count} leases revoked in ${seconds.toFixed(1)} s (${Math.round(count / seconds)}/s), ` +
      `creds p99 ${p99(during).toFixed(1)} ms during vs ${p99(idle).toFixed(1)} ms idle, dropped once: ${once ? "yes" : "no"}`,
  );
  await engine.close();
} finally {
  await close();
}

function p99(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}
