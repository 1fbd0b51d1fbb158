/**
 * The one engine fixture: an initialized engine with a `database/` mount, a connection config and
 * (by default) the seed scenario's `readonly` role, on a fake database or a real test database.
 *
 * ```ts
 * const seed = useEngineFixture({ revocation: FAST_REVOCATION }); // fake database, closed after each test
 * const { root, db, clock } = await seed();
 *
 * const fx = await openEngineFixture({ database: db, storage }); // the PostgreSQL plugin on a test database
 * ```
 */
import { afterEach } from "vitest";
import { Engine, ManualClock, MemoryStorage, type AtRestOptions, type Client, type RevocationOptions, type Storage } from "../../src/index.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";
import type { TestDatabase } from "./database.js";

export { sealedForTest, TEST_KEYRING } from "./sealed-storage.js";

/** The usual creation statement: a login role valid until the lease's expiry. */
export const CREATE_LOGIN = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;

/** Quick revocation retries, for tests that make revocation fail on purpose. */
export const FAST_REVOCATION: RevocationOptions = { initialBackoffMs: 1000, maxAttempts: 3 };

/** Options of {@link openEngineFixture}; every one is optional. */
export interface EngineFixtureOptions<D extends FakeDatabase | TestDatabase = FakeDatabase> {
  /** Where credentials are made: a test database (the PostgreSQL plugin) or a fake (default: a new {@link FakeDatabase}). */
  database?: D;
  /** Default: a new MemoryStorage. Durable storage goes through `sealedForTest` (or `atRest`). */
  storage?: Storage;
  /** How the engine keeps secrets at rest (`encryptionKey`, `allowUnencryptedStorage`); default none. */
  atRest?: AtRestOptions;
  /** Default: 2026-01-01 on a fake database; now on a real one (PostgreSQL checks `VALID UNTIL` against real time). */
  clock?: ManualClock;
  /** Revocation tuning (default: the engine's). */
  revocation?: RevocationOptions;
  /** The connection config's name: default `"fake"` on a fake database, `"postgresql"` on a real one. */
  connection?: string;
  /** Its `allowed_roles` (default `"readonly"`). */
  allowedRoles?: string;
  /** Extra or replacing fields of the connection config. */
  config?: Record<string, unknown>;
  /** Whether to write the seed's role `readonly` on that connection (default true). */
  role?: boolean;
}

/** What a fixture gives a test. `engine` and `root` change on {@link EngineFixture.restart}. */
export interface EngineFixture<D extends FakeDatabase | TestDatabase = FakeDatabase> {
  engine: Engine;
  root: Client;
  rootToken: string;
  clock: ManualClock;
  storage: Storage;
  /** The database credentials come from. */
  db: D;
  /** Closes the engine and opens a new one on the same storage, clock and plugins (a restart). */
  restart(): Promise<void>;
  /** Reads `database/creds/<role>` and returns the lease id, username and password. */
  issue(role: string): Promise<{ leaseId: string; username: string; password: string }>;
  /** Whether a database user of that name exists. */
  roleExists(name: string): Promise<boolean>;
}

/** The connection config of a {@link FakeDatabase}'s plugin. */
export function fakeConnectionConfig(allowedRoles = "readonly") {
  return {
    plugin_name: "fake-database-plugin",
    allowed_roles: allowedRoles,
    connection_url: "fake://{{username}}:{{password}}@nowhere",
    username: "root",
    password: "rootpassword",
  };
}

/** Mounts a database backend at `path` with a fake connection and the seed's `readonly` role. */
export async function mountFakeDatabase(root: Client, path = "database"): Promise<void> {
  await root.write(`sys/mounts/${path}`, { type: "database" });
  await root.write(`${path}/config/fake`, fakeConnectionConfig());
  await root.write(`${path}/roles/readonly`, { db_name: "fake", creation_statements: CREATE_LOGIN, default_ttl: "1h", max_ttl: "24h" });
}

/** The seed's connection config for a test database (superuser credentials). */
export function connectionConfigFor(db: TestDatabase, allowedRoles = "readonly") {
  return {
    plugin_name: "postgresql-database-plugin",
    allowed_roles: allowedRoles,
    connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}`,
    username: db.user,
    password: db.password,
  };
}

/** The `database/config/<name>` body for `db` allowing every role, as the superuser unless `as` says otherwise. */
export function connectionConfig(db: TestDatabase, as?: { user: string; password: string }): Record<string, unknown> {
  const config = connectionConfigFor(db, "*");
  return as ? { ...config, username: as.user, password: as.password } : config;
}

/** Whether a role exists in the test database. */
export async function roleExists(db: TestDatabase, name: string): Promise<boolean> {
  const { rowCount } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
  return rowCount === 1;
}

/** Opens an engine, initializes it and configures mount, connection and (unless `role: false`) role. */
export async function openEngineFixture<D extends FakeDatabase | TestDatabase = FakeDatabase>(
  options: EngineFixtureOptions<D> = {},
): Promise<EngineFixture<D>> {
  const db = (options.database ?? new FakeDatabase()) as D;
  const fake = db instanceof FakeDatabase ? db : undefined;
  const clock = options.clock ?? (fake ? new ManualClock(Date.UTC(2026, 0, 1)) : new ManualClock());
  const storage = options.storage ?? new MemoryStorage();
  const plugins = fake ? [fake.plugin()] : [];
  const open = () => Engine.open({ storage, clock, plugins, revocation: options.revocation, ...options.atRest });
  const connection = options.connection ?? (fake ? "fake" : "postgresql");
  const allowedRoles = options.allowedRoles ?? "readonly";
  const config = fake ? fakeConnectionConfig(allowedRoles) : connectionConfigFor(db as TestDatabase, allowedRoles);

  const engine = await open();
  const { rootToken } = await engine.initialize();
  const root = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write(`database/config/${connection}`, { ...config, ...options.config });
  if (options.role ?? true) {
    await root.write("database/roles/readonly", { db_name: connection, creation_statements: CREATE_LOGIN, default_ttl: "1h", max_ttl: "24h" });
  }
  const fixture: EngineFixture<D> = {
    engine,
    root,
    rootToken,
    clock,
    storage,
    db,
    async restart() {
      await fixture.engine.close();
      fixture.engine = await open();
      fixture.root = fixture.engine.client(rootToken);
    },
    async issue(role) {
      const response = await fixture.root.read<{ username: string; password: string }>(`database/creds/${role}`);
      return { leaseId: response.lease_id, username: response.data!.username, password: response.data!.password };
    },
    roleExists: async (name) => (fake ? fake.users.has(name) : roleExists(db as TestDatabase, name)),
  };
  return fixture;
}

/**
 * Returns an opener for a test file: each call builds a fresh fixture from `defaults` and
 * `overrides`, closed after the test that made it.
 */
export function useEngineFixture<D extends FakeDatabase | TestDatabase = FakeDatabase>(
  defaults: EngineFixtureOptions<D> = {},
): (overrides?: EngineFixtureOptions<D>) => Promise<EngineFixture<D>> {
  const open: EngineFixture<D>[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((fixture) => fixture.engine.close()));
  });
  return async (overrides = {}) => {
    const fixture = await openEngineFixture({ ...defaults, ...overrides });
    open.push(fixture);
    return fixture;
  };
}
