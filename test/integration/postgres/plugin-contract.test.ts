/** The PostgreSQL plugin passes the `DatabasePlugin` contract against a real server. */
import { beforeAll } from "vitest";
import { postgresPlugin, type ConnectionSettings, type DatabasePluginDescriptor } from "../../../src/index.js";
import { databasePluginContract, type DatabasePluginContractTarget } from "../../../src/testing/index.js";
import { useTestDatabase } from "../../support/database.js";

const db = useTestDatabase();

/** Whether `user` can open a session with `password`. */
async function canLogin(user: string, password: string): Promise<boolean> {
  try {
    const client = await db.connectAs(user, password);
    await client.end();
    return true;
  } catch {
    return false;
  }
}

const CREATE_LOGIN = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`;

/** The target for one way of connecting the plugin; the rest is how to look into the test database. */
function target(descriptor: DatabasePluginDescriptor, settings: ConnectionSettings, unreachableSettings?: ConnectionSettings): DatabasePluginContractTarget {
  return {
    descriptor,
    settings,
    unreachableSettings,
    statements: {
      create: [CREATE_LOGIN],
      // PostgreSQL echoes the value it cannot cast: the plugin must redact the password.
      failing: `SELECT '{{password}}'::int`,
      rollback: [`INSERT INTO contract_rollbacks VALUES ('{{name}}')`],
      slow: "SELECT pg_sleep(0.2)",
    },
    usernamePrefix: db.rolePrefix,
    canLogin,
    userExists: async (user) => (await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount === 1,
    expiration: async (user) => {
      const { rows } = await db.query<{ rolvaliduntil: Date | null }>("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [user]);
      return rows[0]?.rolvaliduntil ?? undefined;
    },
    rollbackRan: async (user) => (await db.query("SELECT 1 FROM contract_rollbacks WHERE name = $1", [user])).rowCount === 1,
  };
}

beforeAll(async () => {
  await db.query("CREATE TABLE contract_rollbacks (name text NOT NULL)");
});

databasePluginContract("postgresql-database-plugin", () =>
  target(
    postgresPlugin(),
    {
      connectionUrl: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}`,
      username: db.user,
      password: db.password,
      maxOpenConnections: 4,
    },
    // Port 1 is closed: the connection is refused before any statement runs.
    {
      connectionUrl: `postgresql://{{username}}:{{password}}@127.0.0.1:1/${db.name}`,
      username: db.user,
      password: "unreachable-Secret-42",
      maxOpenConnections: 1,
    },
  ),
);

// The same plugin on the host's own pool, which it must leave open on close.
databasePluginContract("postgresql-database-plugin on a host pool", () =>
  target(postgresPlugin({ name: "host-postgres", pool: db.pool }), { connectionUrl: "", maxOpenConnections: 1 }),
);
