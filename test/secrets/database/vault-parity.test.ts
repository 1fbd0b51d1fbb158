/**
 * The database engine's Vault parity (issue 12 item 5) on the fake plugin: the config read's
 * shape and names, every documented parameter honoured or refused, statements read back as
 * written, `reload/:plugin_name`, credential types, and static roles' `skip_import_rotation`
 * and `rotation_window`.
 */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../src/index.js";
import { CREATE_LOGIN, fakeConnectionConfig, useEngineFixture } from "../../support/engine-fixture.js";

const seed = useEngineFixture();

describe("config: Vault's shape and parameters", () => {
  it("reads back in Vault's shape: plugin settings in connection_details, root_credentials_rotate_statements", async () => {
    const { root } = await seed();
    await root.write("database/config/fake", {
      username_template: "{{.RoleName | truncate 20}}-{{random 20}}",
      password_authentication: "scram-sha-256",
      max_idle_connections: 2,
      max_connection_lifetime: "90s",
      disable_escaping: true,
      root_rotation_statements: [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`],
    });
    const { data } = await root.read<Record<string, unknown>>("database/config/fake");
    expect(data).toMatchObject({
      plugin_name: "fake-database-plugin",
      plugin_version: "",
      allowed_roles: ["readonly"],
      password_policy: "",
      verify_connection: true,
      root_credentials_rotate_statements: [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`],
      connection_details: {
        connection_url: "fake://{{username}}:{{password}}@nowhere",
        username: "root",
        max_open_connections: 4,
        max_idle_connections: 2,
        max_connection_lifetime: "90s",
        username_template: "{{.RoleName | truncate 20}}-{{random 20}}",
        disable_escaping: true,
        password_authentication: "scram-sha-256",
      },
    });
    for (const moved of ["username_template", "password_authentication", "root_rotation_statements"]) expect(data).not.toHaveProperty(moved);
    expect(JSON.stringify(data)).not.toContain("rootpassword");
  });

  it("accepts Vault's read name root_credentials_rotate_statements on write, so a read can be written back", async () => {
    const { root } = await seed();
    await root.write("database/config/fake", { root_credentials_rotate_statements: ["SELECT 1 -- {{username}}"] });
    const { data } = await root.read<{ root_credentials_rotate_statements: string[] }>("database/config/fake");
    expect(data!.root_credentials_rotate_statements).toEqual(["SELECT 1 -- {{username}}"]);
    await expect(root.write("database/config/fake", { root_rotation_statements: "SELECT 1", root_credentials_rotate_statements: "SELECT 2" })).rejects.toThrow(/give one/);
  });

  it.each([
    [{ max_connection_lifetime: "bogus" }, /max_connection_lifetime/],
    [{ max_idle_connections: "many" }, /max_idle_connections must be an integer/],
    [{ disable_escaping: "sometimes" }, /disable_escaping must be true or false/],
    [{ plugin_version: "v1.2.3" }, /plugin_version "v1.2.3" is not supported/],
  ])("refuses %j with a 400 naming it, and keeps the stored config", async (payload, message) => {
    const { root } = await seed();
    const error = await root.write("database/config/fake", payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(message);
    const { data } = await root.read<{ connection_details: Record<string, unknown> }>("database/config/fake");
    expect(data!.connection_details).toMatchObject({ max_idle_connections: 0, max_connection_lifetime: "0s", disable_escaping: false });
  });

  it.each([
    [{ auth_type: "gcp_iam" }, /auth_type is not supported/],
    [{ service_account_json: "{}" }, /service_account_json is not supported/],
    [{ use_private_ip: true }, /use_private_ip is not supported/],
    [{ self_managed: true }, /self_managed is not supported/],
    [{ rotation_period: "24h" }, /rotation_period is not supported: automated root rotation/],
    [{ rotation_schedule: "@daily" }, /rotation_schedule is not supported/],
  ])("refuses Vault's unsupported setting %j, and takes its default without a warning", async (payload, message) => {
    const { root } = await seed();
    await expect(root.write("database/config/fake", payload)).rejects.toThrow(message);
    const [field] = Object.keys(payload);
    const defaults: Record<string, unknown> = { auth_type: "", service_account_json: "", use_private_ip: false, self_managed: false, rotation_period: 0, rotation_schedule: "" };
    const response = await root.write("database/config/fake", { [field!]: defaults[field!] });
    expect(response?.warnings ?? []).toEqual([]);
  });

  it("takes plugin_version empty and a negative max_idle_connections (Vault: none idle)", async () => {
    const { root } = await seed();
    const response = await root.write("database/config/fake", { plugin_version: "", max_idle_connections: -1 });
    expect(response?.warnings ?? []).toEqual([]);
  });
});

describe("reload/:plugin_name", () => {
  it("closes the connections of every config using the plugin and answers Vault's shape", async () => {
    const { root, db } = await seed();
    await root.write("database/config/second", fakeConnectionConfig());
    await root.read("database/creds/readonly"); // opens "fake"
    const response = await root.write<{ connections: string[]; count: number }>("database/reload/fake-database-plugin", {});
    expect(response!.data).toEqual({ connections: ["fake", "second"], count: 2 });
    // Reopened from the stored config on next use.
    await root.read("database/creds/readonly");
    expect(db.users.size).toBe(2);
  });

  it("reports no connection for another plugin", async () => {
    const { root } = await seed();
    const response = await root.write<{ connections: string[]; count: number }>("database/reload/postgresql-database-plugin", {});
    expect(response!.data).toEqual({ connections: [], count: 0 });
    expect(response!.warnings).toEqual([`no connection uses the plugin "postgresql-database-plugin"`]);
  });
});

describe("roles: statements as written, credential_type and credential_config", () => {
  it("reads statements back exactly as written, and runs them split", async () => {
    const { root, db } = await seed();
    const creation = `${CREATE_LOGIN} GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;
    await root.write("database/roles/readonly", { db_name: "fake", creation_statements: creation, revocation_statements: [`DROP ROLE "{{name}}";`] });
    const { data } = await root.read<Record<string, unknown>>("database/roles/readonly");
    expect(data!.creation_statements).toEqual([creation]);
    expect(data!.revocation_statements).toEqual([`DROP ROLE "{{name}}";`]);
    expect(data!.renew_statements).toEqual([]);
    expect(data).not.toHaveProperty("statements_given");
    await root.read("database/creds/readonly");
    expect(db.users.size).toBe(1);
  });

  it("a role stored before (split statements only) reads back as before", async () => {
    const { root, storage } = await seed();
    await root.write("database/roles/old", { db_name: "fake", creation_statements: "SELECT 1; SELECT 2;" });
    // What a role stored by an earlier version looks like: no statements_given.
    const keys = (await storage.list("")).filter((key) => key.endsWith("role/old"));
    expect(keys).toHaveLength(1);
    const raw = JSON.parse(Buffer.from((await storage.get(keys[0]!))!).toString()) as Record<string, unknown>;
    delete raw.statements_given;
    await storage.put(keys[0]!, Buffer.from(JSON.stringify(raw)));
    const { data } = await root.read<{ creation_statements: string[] }>("database/roles/old");
    expect(data!.creation_statements).toEqual(["SELECT 1", "SELECT 2"]);
  });

  it("credential_config.password_policy is the role's password policy, and reads back", async () => {
    const { root } = await seed();
    await root.write("sys/policies/password/digits", { policy: 'length = 24\nrule "charset" { charset = "0123456789" }' });
    await root.write("database/roles/readonly", { credential_type: "password", credential_config: { password_policy: "digits" } });
    const creds = await root.read<{ password: string }>("database/creds/readonly");
    expect(creds.data!.password).toMatch(/^\d{24}$/);
    const { data } = await root.read<Record<string, unknown>>("database/roles/readonly");
    expect(data).toMatchObject({ credential_type: "password", credential_config: { password_policy: "digits" }, password_policy: "digits" });
  });

  it.each([
    [{ credential_type: "rsa_private_key" }, /credential_type "rsa_private_key" is not supported by PostgreSQL/],
    [{ credential_type: "bogus" }, /credential_type "bogus" is not a credential type/],
    [{ credential_config: { key_bits: 2048 } }, /credential_config: "key_bits" not supported/],
    [{ credential_config: { password_policy: "a" }, password_policy: "b" }, /differ/],
    [{ credential_config: "x" }, /credential_config must be an object/],
  ])("refuses %j with a 400 naming it", async (payload, message) => {
    const { root } = await seed();
    const error = await root.write("database/roles/readonly", payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(message);
  });
});

describe("static roles: skip_import_rotation, rotation_window, Vault's cron forms", () => {
  async function withUser() {
    const fixture = await seed({ allowedRoles: "*" });
    fixture.db.users.set("app", { password: "original", expiration: new Date(8.64e15) });
    return fixture;
  }

  it("without skip_import_rotation the password is rotated at creation (as before)", async () => {
    const { root, db } = await withUser();
    await root.write("database/static-roles/app", { db_name: "fake", username: "app", rotation_period: "1h" });
    expect(db.users.get("app")!.password).not.toBe("original");
  });

  it("with skip_import_rotation the password stays until the first rotation, and creds say so", async () => {
    const { root, db, clock } = await withUser();
    await root.write("database/static-roles/app", { db_name: "fake", username: "app", rotation_period: "1h", skip_import_rotation: true });
    expect(db.users.get("app")!.password).toBe("original");
    const read = await root.read<Record<string, unknown>>("database/static-roles/app");
    expect(read.data).toMatchObject({ skip_import_rotation: true, last_vault_rotation: null, ttl: 3600 });
    await expect(root.read("database/static-creds/app")).rejects.toThrow(/has not been rotated yet/);
    await clock.advance(3600_000);
    await expect.poll(() => db.users.get("app")!.password).not.toBe("original");
    const creds = await root.read<{ password: string }>("database/static-creds/app");
    expect(creds.data!.password).toBe(db.users.get("app")!.password);
    await expect(root.write("database/static-roles/app", { skip_import_rotation: false })).rejects.toThrow(/only applies when a static role is created/);
  });

  it("accepts names and macros in rotation_schedule", async () => {
    const { root } = await withUser();
    await root.write("database/static-roles/app", { db_name: "fake", username: "app", rotation_schedule: "0 0 * * SAT" });
    await root.write("database/static-roles/app", { rotation_schedule: "@daily" });
    const read = await root.read<Record<string, unknown>>("database/static-roles/app");
    expect(read.data).toMatchObject({ rotation_schedule: "@daily", rotation_period: 0 });
  });

  it("rotation_window: a rotation that failed is retried only within the window, then waits for the next scheduled time", async () => {
    const { root, db, clock } = await withUser();
    // The fake clock starts at 2026-01-01T00:00Z; rotations at 06:00 daily, each with a 1h window.
    await root.write("database/static-roles/app", { db_name: "fake", username: "app", rotation_schedule: "0 6 * * *", rotation_window: "1h" });
    const first = db.users.get("app")!.password;
    expect((await root.read<Record<string, unknown>>("database/static-roles/app")).data).toMatchObject({ rotation_window: 3600 });
    // The user disappears: every rotation in the window fails.
    db.users.delete("app");
    await clock.advance(6 * 3600_000); // 06:00: fails, retried with backoff
    await clock.advance(3600_000); // retries during the window fail too
    db.users.set("app", { password: first, expiration: new Date(8.64e15) });
    await clock.advance(3600_000); // 08:00: past the window, the retry does not rotate
    await clock.advance(12 * 3600_000); // up to 20:00: still waiting
    expect(db.users.get("app")!.password).toBe(first);
    const read = await root.read<{ ttl: number }>("database/static-roles/app");
    expect(read.data!.ttl).toBe(10 * 3600); // next: 06:00 the next day
    await clock.advance(10 * 3600_000);
    await expect.poll(() => db.users.get("app")!.password).not.toBe(first);
  });

  it("rotation_window: an engine down across the whole window does not rotate late at start-up", async () => {
    const fixture = await withUser();
    const { db, clock } = fixture;
    await fixture.root.write("database/static-roles/app", { db_name: "fake", username: "app", rotation_schedule: "0 6 * * *", rotation_window: "1h" });
    const first = db.users.get("app")!.password;
    await fixture.engine.close();
    await clock.advance(8 * 3600_000); // 08:00, the engine was down from 00:00
    await fixture.restart();
    await clock.advance(1000);
    expect(db.users.get("app")!.password).toBe(first);
    const read = await fixture.root.read<{ ttl: number }>("database/static-roles/app");
    expect(read.data!.ttl).toBe(22 * 3600 - 1);
    // Without a window the missed rotation happens at start-up (as before).
    await fixture.root.write("database/static-roles/app", { rotation_window: 0 });
    await fixture.engine.close();
    await clock.advance(24 * 3600_000);
    await fixture.restart();
    await clock.advance(1000);
    await expect.poll(() => db.users.get("app")!.password).not.toBe(first);
  });

  it.each([
    [{ rotation_period: "1h", rotation_window: "2h" }, /rotation_window applies only with rotation_schedule/],
    [{ rotation_schedule: "0 6 * * *", rotation_window: "10m" }, /at least 1h/],
    [{ rotation_period: "1h", self_managed_password: "x" }, /self_managed_password is not supported/],
    [{ rotation_period: "1h", credential_type: "client_certificate" }, /not supported by PostgreSQL/],
    [{ rotation_schedule: "0 0 * * SATURDAY" }, /unknown name "SATURDAY"/],
  ])("refuses %j with a 400, creating nothing", async (payload, message) => {
    const { root, db } = await withUser();
    const error = await root.write("database/static-roles/app", { db_name: "fake", username: "app", ...payload }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(message);
    expect(db.users.get("app")!.password).toBe("original");
  });

  it("reads rotation_statements back as written", async () => {
    const { root } = await withUser();
    await root.write("database/static-roles/app", { db_name: "fake", username: "app", rotation_period: "1h", rotation_statements: `ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';` });
    const read = await root.read<{ rotation_statements: string[] }>("database/static-roles/app");
    expect(read.data!.rotation_statements).toEqual([`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`]);
  });
});
