/**
 * Vitest `globalSetup` of vaultlet's own suites: `postgresGlobalSetup` from `vaultlet/testing`
 * (src/testing/postgres/global-setup.ts) — one PostgreSQL server for the run, its URL provided
 * as `inject("pgUrl")`. A project may pin a major through its `env` (see vitest.config.ts).
 */
import type { TestProject } from "vitest/node";
import { postgresGlobalSetup } from "../../src/testing/postgres/global-setup.js";
import type { PostgresKind } from "../../src/testing/postgres/start-postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL (database `postgres`) of the run's PostgreSQL server. */
    pgUrl: string;
    /** How that server was obtained. */
    pgKind: PostgresKind;
  }
}

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return postgresGlobalSetup(project);
}
