/**
 * Password policies and SCRAM verifiers on a database connection, against a real PostgreSQL.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;

const DIGITS = `length = 30\nrule "charset" { charset = "0123456789" min-chars = 30 }`;
const LOWER = `length = 12\nrule "charset" { charset = "abcdefghijklmnopqrstuvwxyz" min-chars = 1 }`;

beforeEach(async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
  await fx.root.write("sys/policies/password/digits", { policy: DIGITS });
  await fx.root.write("sys/policies/password/lower", { policy: LOWER });
});

afterEach(async () => {
  await fx.engine.close();
});

it("uses the connection's password_policy, and a role's own policy over it", async () => {
  await fx.root.write("database/config/pg", { password_policy: "digits" });
  await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN });
  await fx.root.write("database/roles/lower", { db_name: "pg", creation_statements: CREATE_LOGIN, password_policy: "lower" });
  const plain = await fx.issue("plain");
  expect(plain.password).toMatch(/^\d{30}$/);
  await (await db.connectAs(plain.username, plain.password)).end();
  const lower = await fx.issue("lower");
  expect(lower.password).toMatch(/^[a-z]{12}$/);
  await (await db.connectAs(lower.username, lower.password)).end();
});

it("refuses a role or config naming a password policy that does not exist, changing nothing", async () => {
  await expect(
    fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN, password_policy: "missing" }),
  ).rejects.toMatchObject({ code: "invalid_request", message: expect.stringMatching(/no password policy named "missing"/) });
  await expect(fx.root.read("database/roles/plain")).rejects.toMatchObject({ status: 404 });
  await expect(fx.root.write("database/config/pg", { password_policy: "missing" })).rejects.toMatchObject({ code: "invalid_request" });
  expect((await fx.root.read("database/config/pg")).data!.password_policy).toBe("");
});

it("with password_authentication = scram-sha-256 sends a verifier, and the password logs in", async () => {
  // md5 for this connection's sessions: a plaintext PASSWORD would be stored as md5, our verifier as SCRAM.
  const url = `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?options=-c%20password_encryption%3Dmd5`;
  await fx.root.write("database/config/pg", { connection_url: url, password_authentication: "scram-sha-256" });
  await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN });
  const creds = await fx.issue("plain");
  const { rows } = await db.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [creds.username]);
  expect(rows[0]!.rolpassword).toMatch(/^SCRAM-SHA-256\$256:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/); // the default policy: too strong to guess
  await (await db.connectAs(creds.username, creds.password)).end();
  // Control: without it, the same connection stores what the server derives from the plaintext.
  await fx.root.write("database/config/pg", { password_authentication: "password" });
  const plain = await fx.issue("plain");
  const control = await db.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [plain.username]);
  expect(control.rows[0]!.rolpassword).toMatch(/^md5/);
});

it("stores 256 SCRAM iterations for a password too strong to guess (>= 80 bits), 4096 for a weaker policy's; both log in", async () => {
  await fx.root.write("database/roles/strong", { db_name: "pg", creation_statements: CREATE_LOGIN }); // the default policy: 108 bits
  await fx.root.write("database/roles/lower", { db_name: "pg", creation_statements: CREATE_LOGIN, password_policy: "lower" }); // 12 of [a-z]: 56 bits
  await fx.root.write("database/roles/digits", { db_name: "pg", creation_statements: CREATE_LOGIN, password_policy: "digits" }); // 30 digits: 99 bits
  const iterations = async (role: string) => {
    const creds = await fx.issue(role);
    await (await db.connectAs(creds.username, creds.password)).end();
    const { rows } = await db.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [creds.username]);
    return /^SCRAM-SHA-256\$(\d+):/.exec(rows[0]!.rolpassword)?.[1];
  };
  expect(await iterations("strong")).toBe("256");
  expect(await iterations("lower")).toBe("4096");
  expect(await iterations("digits")).toBe("256");
});
