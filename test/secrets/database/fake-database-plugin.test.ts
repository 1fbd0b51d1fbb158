/**
 * The fake plugin the core tests run on passes the same contract as the PostgreSQL plugin
 * (test/integration/postgres/plugin-contract.test.ts).
 */
import { databasePluginContract } from "../../../src/testing/index.js";
import { FAKE_FAIL, FAKE_PAUSE, FAKE_UNREACHABLE_URL, FakeDatabase } from "../../fakes/fake-database-plugin.js";

const db = new FakeDatabase();

databasePluginContract("fake-database-plugin", () => ({
  descriptor: db.plugin(),
  settings: { connectionUrl: "fake://{{username}}:{{password}}@nowhere", username: "root", password: "root-secret", maxOpenConnections: 1 },
  unreachableSettings: { connectionUrl: FAKE_UNREACHABLE_URL, username: "root", password: "unreachable-secret", maxOpenConnections: 1 },
  statements: {
    create: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`],
    failing: `${FAKE_FAIL} {{password}}`,
    rollback: [`ROLLBACK {{name}}`],
    slow: FAKE_PAUSE,
  },
  canLogin: async (username, password) => db.canLogin(username, password),
  userExists: async (username) => db.users.has(username),
  expiration: async (username) => db.users.get(username)?.expiration,
  rollbackRan: async (username) => db.rollbacks.includes(`ROLLBACK ${username}`),
}));
