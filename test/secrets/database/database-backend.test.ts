/** The database secrets engine through the engine, on the fake plugin (the pure core). */
import { describe, expect, it } from "vitest";
import { NotFoundError, PermissionDeniedError } from "../../../src/index.js";
import { FAST_REVOCATION, useEngineFixture } from "../../support/engine-fixture.js";

const seed = useEngineFixture({ revocation: FAST_REVOCATION });

describe("database backend (pure core, fake plugin)", () => {
  it("issues unique credentials with a lease from the role's default TTL", async () => {
    const { root, db } = await seed();
    const a = await root.read<{ username: string; password: string }>("database/creds/readonly");
    const b = await root.read<{ username: string; password: string }>("database/creds/readonly");
    expect(a.lease_id).toMatch(/^database\/creds\/readonly\/[A-Za-z0-9]{24}$/);
    expect(a.lease_duration).toBe(3600);
    expect(a.renewable).toBe(true);
    expect(a.data!.username).toMatch(/^v-root-readonly-[A-Za-z0-9]{20}-\d{10}$/);
    expect(a.data!.username).not.toBe(b.data!.username);
    expect(a.data!.password).not.toBe(b.data!.password);
    expect(db.users.size).toBe(2);
  });

  it("never returns the connection password", async () => {
    const { root } = await seed();
    const config = await root.read("database/config/fake");
    expect(JSON.stringify(config)).not.toContain("rootpassword");
    expect(config.data).toMatchObject({ plugin_name: "fake-database-plugin", allowed_roles: ["readonly"] });
  });

  it("masks a password written into the connection URL", async () => {
    const { root } = await seed();
    await root.write("database/config/fake", { connection_url: "postgresql://root:s3cret@localhost/db" });
    expect(JSON.stringify(await root.read("database/config/fake"))).not.toContain("s3cret");
  });

  it("lists, reads and deletes roles", async () => {
    const { root } = await seed();
    expect((await root.list("database/roles")).data!.keys).toEqual(["readonly"]);
    expect((await root.read("database/roles/readonly")).data).toMatchObject({ db_name: "fake", default_ttl: 3600, max_ttl: 86_400 });
    await root.delete("database/roles/readonly");
    await expect(root.read("database/roles/readonly")).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([
    [{ db_name: "fake", creation_statements: "SELECT 1", default_ttl: "2h", max_ttl: "1h" }, /default_ttl/],
    [{ db_name: "fake", creation_statements: "SELECT 1", default_ttl: "forever" }, /default_ttl/],
    [{ db_name: "missing", creation_statements: "SELECT 1" }, /no database connection named "missing"/],
    [{ db_name: "fake" }, /creation_statements is required/],
    [{ db_name: "fake", creation_statements: `CREATE ROLE "{{nmae}}"` }, /nmae/],
  ])("rejects a bad role %j and stores nothing", async (payload, message) => {
    const { root } = await seed();
    await expect(root.write("database/roles/bad", payload)).rejects.toThrow(message);
    await expect(root.read("database/roles/bad")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses creds for a role the connection does not allow, creating nothing", async () => {
    const { root, db } = await seed();
    await root.write("database/roles/other", { db_name: "fake", creation_statements: "SELECT 1" });
    await expect(root.read("database/creds/other")).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(db.users.size).toBe(0);
  });

  it("allows roles by glob", async () => {
    const { root } = await seed();
    await root.write("database/config/fake", { allowed_roles: ["read*"] });
    await root.write("database/roles/reader", { db_name: "fake", creation_statements: "SELECT 1" });
    await expect(root.read("database/creds/reader")).resolves.toMatchObject({ renewable: true });
  });

  it("leaves no lease when creating the user fails", async () => {
    const { root, db } = await seed();
    db.failNextCreate = true;
    await expect(root.read("database/creds/readonly")).rejects.toThrow(/creating the database user failed/);
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses an unknown plugin", async () => {
    const { root } = await seed();
    await expect(root.write("database/config/x", { plugin_name: "nope", connection_url: "x" })).rejects.toThrow(/unknown plugin_name/);
  });
});
