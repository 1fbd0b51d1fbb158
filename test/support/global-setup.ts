/**
 * Vitest `globalSetup`: starts one PostgreSQL server for the whole run (see
 * `postgres-server.ts` for how it is chosen), provides its superuser URL to
 * test files as `inject("pgUrl")`, and stops it at teardown.
 *
 * Test files normally do not call `inject` themselves: `useTestDatabase()`
 * from `./database.ts` gives each file its own database on this server.
 */
import type { TestProject } from "vitest/node";
import { startPostgres, type PostgresKind } from "./postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL (database `postgres`) of the run's PostgreSQL server. */
    pgUrl: string;
    /** How that server was obtained. */
    pgKind: PostgresKind;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  // A project may pin a PostgreSQL major through its `env` (see vitest.config.ts).
  const version = project.config.env?.VAULTLET_PG_VERSION as string | undefined;
  const server = await startPostgres(version ? { version: Number(version) } : {});
  project.provide("pgUrl", server.url);
  project.provide("pgKind", server.kind);
  if (process.env.VAULTLET_PG_QUIET !== "1") {
    const ms = Math.round(performance.now() - started);
    console.log(`[vaultlet] ${project.name}: PostgreSQL ${version ?? process.env.VAULTLET_PG_VERSION ?? "(default major)"} (${server.kind}) at ${server.host}:${server.port}, ready in ${ms} ms`);
  }
  return () => server.stop();
}
