/**
 * `vaultlet/testing/postgres`: the PostgreSQL harness without vitest — for a vitest `globalSetup`
 * (which runs outside the test workers, where importing `vitest` fails) and for scripts. Everything
 * here is also exported by `vaultlet/testing`, which adds `useTestDatabase` (and needs vitest).
 *
 * @example
 * ```ts
 * // test/pg-setup.ts, named in vitest.config.ts: test.globalSetup: ["test/pg-setup.ts"]
 * export { postgresGlobalSetup as default } from "vaultlet/testing/postgres";
 * ```
 *
 * @module
 */
export {
  startPostgres,
  type PostgresKind,
  type PostgresServer,
  type StartPostgresOptions,
} from "./start-postgres.js";
export { containerRuntimeAvailable } from "./container-server.js";
export { createDatabase, databaseUrl, dropDatabase, uniqueDatabaseName, type CreatedDatabase } from "./databases.js";
export { postgresGlobalSetup, type GlobalSetupProject } from "./global-setup.js";
export { MissingPeerDependencyError } from "../../errors.js";
