import { afterEach } from "vitest";
import { Engine, ManualClock, MemoryStorage, type Client } from "../../src/index.js";
import { FakeDatabase } from "./fake-database-plugin.js";

/** An engine over memory storage, a manual clock and a fake database, set up to the seed's Step 3. */
export async function fakeSeedEngine() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const db = new FakeDatabase();
  const engine = await Engine.open({
    storage: new MemoryStorage(),
    clock,
    plugins: [db.plugin("fake-database-plugin")],
    revocation: { initialBackoffMs: 1000, maxAttempts: 3 },
  });
  const { rootToken } = await engine.initialize();
  const root: Client = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/fake", {
    plugin_name: "fake-database-plugin",
    allowed_roles: "readonly",
    connection_url: "fake://{{username}}:{{password}}@nowhere",
    username: "root",
    password: "rootpassword",
  });
  await root.write("database/roles/readonly", {
    db_name: "fake",
    creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
    default_ttl: "1h",
    max_ttl: "24h",
  });
  return { engine, clock, db, root, rootToken };
}

/**
 * Returns a `seed()` for a test file: each call builds a fresh {@link fakeSeedEngine}, closed after
 * the test that made it.
 */
export function useFakeSeedEngine(): () => ReturnType<typeof fakeSeedEngine> {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((engine) => engine.close()));
  });
  return async () => {
    const setup = await fakeSeedEngine();
    open.push(setup.engine);
    return setup;
  };
}
