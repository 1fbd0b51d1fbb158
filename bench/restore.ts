/**
 * How fast an engine comes back on storage holding many leases.
 *
 *   node --expose-gc --import tsx bench/restore.ts [postgres|file] [lease count, default 1000000]
 *
 * Prints: time until `Engine.open` resolves and a request is served, time until the background
 * restore has loaded and scheduled every lease, and retained heap per active lease.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, FileStorage, ManualClock, PostgresStorage, type Storage } from "../src/index.js";
import { benchDatabase, insertLeaseRows, seedStorage, writeLeaseLog } from "./bench-fixtures.js";

const backend = process.argv[2] === "file" ? "file" : "postgres";
const count = Number(process.argv[3] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => (gc?.(), gc?.(), process.memoryUsage().heapUsed);

const db = await benchDatabase();
const directory = await mkdtemp(join(tmpdir(), "vaultlet-bench-"));
const open = (): Storage => (backend === "file" ? new FileStorage({ path: directory }) : new PostgresStorage({ connectionString: db.url, table: "bench_storage" }));
try {
  const clock = new ManualClock(Date.now());
  const rootToken = await seedStorage(open(), db.url, clock);
  const setupStart = performance.now();
  const expireTime = clock.now() + 30 * 24 * 3600_000;
  if (backend === "file") await writeLeaseLog(directory, count, clock.now(), expireTime);
  else await insertLeaseRows(db.url, "bench_storage", count, clock.now(), expireTime);
  console.log(`fixture: ${count} leases on ${backend} storage written in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

  const before = heap();
  const start = performance.now();
  const engine = await Engine.open({ storage: open(), clock, allowUnencryptedStorage: true }); // as seedStorage
  await engine.client(rootToken).read("sys/mounts");
  const serving = performance.now() - start;
  await engine.leasesRestored();
  const restored = performance.now() - start;
  const perLease = (heap() - before) / count;
  const lookup = await engine.client(rootToken).write("sys/leases/lookup", { lease_id: "database/creds/bench/lease00000007" });
  if (lookup.data?.id !== "database/creds/bench/lease00000007") throw new Error("restore lost a lease");
  console.log(`${backend}: serving requests after ${serving.toFixed(0)} ms`);
  console.log(`${backend}: full restore of ${count} leases after ${(restored / 1000).toFixed(1)} s`);
  console.log(`${backend}: ${perLease.toFixed(0)} bytes of heap per active lease${gc ? "" : " (run with --expose-gc for a steady figure)"}`);
  await engine.close();
} finally {
  await rm(directory, { recursive: true, force: true });
  await db.drop();
}
