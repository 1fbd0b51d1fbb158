/**
 * A fresh engine with a `database/` mount configured against a test database, for the PostgreSQL
 * plugin's integration tests.
 */
import { Engine, ManualClock, MemoryStorage, type Client } from "../../../src/index.js";
import type { TestDatabase } from "../../support/database.js";
import { connectionConfigFor } from "../../support/seeded-engine.js";

/** What a fixture gives a test. */
export interface PostgresFixture {
  engine: Engine;
  clock: ManualClock;
  root: Client;
  rootToken: string;
  storage: MemoryStorage;
  /** Closes the engine and opens a new one on the same storage and clock (a restart). */
  restart(): Promise<void>;
  /** Reads `database/creds/<role>` and returns the lease id, username and password. */
  issue(role: string): Promise<{ leaseId: string; username: string; password: string }>;
  /** Whether a role of that name exists in the cluster. */
  roleExists(name: string): Promise<boolean>;
}

/** The `database/config/<name>` body for `db`, as the superuser unless `as` says otherwise. */
export function connectionConfig(db: TestDatabase, as?: { user: string; password: string }): Record<string, unknown> {
  const config = connectionConfigFor(db, "*");
  return as ? { ...config, username: as.user, password: as.password } : config;
}

/** The usual creation statement: a login role valid until the lease's expiry. */
export const CREATE_LOGIN = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;

/** Opens an engine, mounts `database/` and writes `database/config/pg` (extra fields merged in). */
export async function openPostgresFixture(
  db: TestDatabase,
  config: Record<string, unknown> = {},
  storage = new MemoryStorage(),
): Promise<PostgresFixture> {
  const clock = new ManualClock();
  const engine = await Engine.open({ storage, clock });
  const { rootToken } = await engine.initialize();
  const root = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/pg", { ...connectionConfig(db), ...config });
  const fixture: PostgresFixture = {
    engine,
    clock,
    root,
    rootToken,
    storage,
    async restart() {
      await fixture.engine.close();
      fixture.engine = await Engine.open({ storage, clock });
      fixture.root = fixture.engine.client(rootToken);
    },
    async issue(role) {
      const response = await fixture.root.read<{ username: string; password: string }>(`database/creds/${role}`);
      return { leaseId: response.lease_id, username: response.data!.username, password: response.data!.password };
    },
    async roleExists(name) {
      const { rowCount } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
      return rowCount === 1;
    },
  };
  return fixture;
}
