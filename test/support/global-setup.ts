/**
 * Vitest `globalSetup` of vaultlet's own suites: `postgresGlobalSetup` from `vaultlet/testing`
 * (src/testing/postgres/global-setup.ts) — one PostgreSQL server for the run, its URL provided
 * as `inject("pgUrl")`. A project may pin a major through its `env` (see vitest.config.ts).
 */
export { postgresGlobalSetup as default } from "../../src/testing/postgres/global-setup.js";
