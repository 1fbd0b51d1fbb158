/**
 * `username_template` on a connection, against a real PostgreSQL.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;

beforeEach(async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false, config: { username_template: "app_{{role_name | truncate 10 | lowercase}}_{{random 12}}" } });
  await fx.root.write("database/roles/Reader", { db_name: "pg", creation_statements: CREATE_LOGIN });
});

afterEach(async () => {
  await fx.engine.close();
});

it("generates usernames from the connection's template, and they log in", async () => {
  const creds = await fx.issue("Reader");
  expect(creds.username).toMatch(/^app_reader_[A-Za-z0-9]{12}$/);
  const session = await db.connectAs(creds.username, creds.password);
  await session.end();
  const config = await fx.root.read<{ connection_details: { username_template: string } }>("database/config/pg");
  expect(config.data!.connection_details.username_template).toBe("app_{{role_name | truncate 10 | lowercase}}_{{random 12}}");
});

it("rejects a template naming an unknown value and keeps the old config", async () => {
  const error = await fx.root.write("database/config/pg", { username_template: "{{hostname}}-{{random 20}}" }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/unknown value "hostname"/) });
  const config = await fx.root.read<{ connection_details: { username_template: string } }>("database/config/pg");
  expect(config.data!.connection_details.username_template).toBe("app_{{role_name | truncate 10 | lowercase}}_{{random 12}}");
  expect((await fx.issue("Reader")).username).toMatch(/^app_reader_/);
});
