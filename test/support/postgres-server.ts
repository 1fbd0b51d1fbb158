/**
 * The PostgreSQL launcher of vaultlet's own tests, benchmarks and demo: the harness that
 * `vaultlet/testing` exports (src/testing/postgres/), re-exported here so scripts and suites import
 * it by one short path. Free of vitest imports (the demo and the benchmarks load it).
 */
export {
  startPostgres,
  type PostgresKind,
  type PostgresServer,
  type StartPostgresOptions,
} from "../../src/testing/postgres/start-postgres.js";
export { containerRuntimeAvailable } from "../../src/testing/postgres/container-server.js";
export { createDatabase, databaseUrl, dropDatabase, uniqueDatabaseName, type CreatedDatabase } from "../../src/testing/postgres/databases.js";
