/**
 * Revocations asked for in bulk: `sys/leases/revoke-prefix` over N live leases (default 10,000),
 * each with a real role in PostgreSQL, on `PostgresStorage` — the seed guide's last step at scale,
 * and what disabling a mount does. Measures the time until the request returns, then checks that
 * no role and no lease record is left and that each lease was reported revoked exactly once.
 *
 *   node --import tsx bench/revoke-prefix.ts [--leases N] [--concurrency C] [--background]
 *
 * `--background` asks with `sync: false`: the answer comes once every lease is due now in storage
 * (its time is printed), and the revocation is timed until the last role is gone.
 *
 * Ends with: `revoke-prefix: <n> leases revoked in <s> s (<rate>/s), dropped once: <yes|no>`.
 */
import { parseArgs } from "node:util";
import { Engine } from "../src/index.js";
import { createBenchRoles, insertLeaseRows, openLeaseBench } from "./bench-fixtures.js";

const { values: args } = parseArgs({ options: { leases: { type: "string", default: "10000" }, concurrency: { type: "string" }, background: { type: "boolean", default: false } } });
const count = Number(args.leases);
const TABLE = "prefix_storage";

const { url, admin, clock, rootToken, open, close } = await openLeaseBench(TABLE);
try {
  await createBenchRoles(admin, count);
  // Live leases: issued a minute ago, expiring in an hour.
  await insertLeaseRows(url, TABLE, count, clock.now() - 60_000, clock.now() + 3600_000);

  const revocation = args.concurrency ? { concurrency: Number(args.concurrency) } : undefined;
  const engine = await Engine.open({ storage: open(), clock, revocation, allowUnencryptedStorage: true }); // as seedStorage
  const revokedTimes = new Map<string, number>();
  engine.on("lease.revoked", ({ leaseId }) => void revokedTimes.set(leaseId, (revokedTimes.get(leaseId) ?? 0) + 1));
  await engine.leasesRestored();

  const start = performance.now();
  await engine.client(rootToken).write("sys/leases/revoke-prefix/database/creds/bench", args.background ? { sync: false } : {});
  if (args.background) {
    console.log(`answered (every lease due now) after ${((performance.now() - start) / 1000).toFixed(1)} s`);
    while (revokedTimes.size < count) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - start) / 1000;

  const rolesLeft = (await admin.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'v-bench-%'")).rows[0].n as number;
  const recordsLeft = (await admin.query(`SELECT count(*)::int AS n FROM vaultlet.${TABLE} WHERE key LIKE 'sys/expire/id/database/creds/bench/%'`)).rows[0].n as number;
  const reported = [...revokedTimes.values()];
  const once = rolesLeft === 0 && recordsLeft === 0 && reported.length === count && reported.every((times) => times === 1);
  console.log(`roles left: ${rolesLeft}, lease records left: ${recordsLeft}, leases reported revoked: ${reported.length}`);
  console.log(`revoke-prefix: ${count} leases revoked in ${seconds.toFixed(1)} s (${Math.round(count / seconds)}/s), dropped once: ${once ? "yes" : "no"}`);
  await engine.close();
} finally {
  await close();
}
