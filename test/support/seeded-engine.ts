/**
 * An engine configured to the seed scenario's Step 3 against the real test database, on any storage:
 * the building block of the persistence, encryption and crash tests.
 */
import { Engine, type Client, type Clock, type RevocationOptions, type Storage } from "../../src/index.js";
import type { TestDatabase } from "./database.js";

/** The seed's connection config for the test database (superuser credentials). */
export function connectionConfigFor(db: TestDatabase, allowedRoles = "readonly") {
  return {
    plugin_name: "postgresql-database-plugin",
    allowed_roles: allowedRoles,
    connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}`,
    username: db.user,
    password: db.password,
  };
}

/** Opens an engine on `storage`, initializes it and configures mount, connection and role. */
export async function seededEngine(
  db: TestDatabase,
  storage: Storage,
  clock: Clock,
  revocation?: RevocationOptions,
): Promise<{ engine: Engine; root: Client; rootToken: string }> {
  const engine = await Engine.open({ storage, clock, revocation });
  const { rootToken } = await engine.initialize();
  const root = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/postgresql", connectionConfigFor(db));
  await root.write("database/roles/readonly", {
    db_name: "postgresql",
    creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
    default_ttl: "1h",
    max_ttl: "24h",
  });
  return { engine, root, rootToken };
}

/** Whether a role exists in the test database. */
export async function roleExists(db: TestDatabase, name: string): Promise<boolean> {
  const { rowCount } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
  return rowCount === 1;
}
