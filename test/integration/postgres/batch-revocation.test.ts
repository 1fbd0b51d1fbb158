/**
 * The PostgreSQL plugin's batched revocation (`revokeUsers`), against a real PostgreSQL: every
 * user ends as `deleteUser` would leave it, and a user that cannot be revoked is reported alone —
 * it never blocks or rolls back the others.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PluginError, createPostgresPlugin, type DatabasePlugin, type DeleteUserRequest } from "../../../src/index.js";
import { DEFAULT_REVOCATION_SETTINGS } from "../../../src/secrets/database/revocation-settings.js";
import { useTestDatabase } from "../../support/database.js";

const db = useTestDatabase();
let plugin: DatabasePlugin;

beforeEach(async () => {
  plugin = createPostgresPlugin();
  await plugin.initialize({ connectionUrl: db.url, maxOpenConnections: 4 }, { verifyConnection: true });
});

afterEach(async () => {
  await plugin.close();
});

async function exists(name: string): Promise<boolean> {
  return (await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name])).rowCount === 1;
}

function request(username: string, extra: Partial<DeleteUserRequest> = {}): DeleteUserRequest {
  return { username, statements: [], settings: DEFAULT_REVOCATION_SETTINGS, ...extra };
}

describe("revokeUsers (PostgreSQL)", () => {
  it("drops many users in one go, isolating the ones that fail", async () => {
    const plain = Array.from({ length: 5 }, (_, i) => db.roleName(`plain${i}`));
    for (const name of plain) await db.query(`CREATE ROLE "${name}" LOGIN PASSWORD 'pw-${name}'`);
    const owner = db.roleName("owner");
    await db.query(`CREATE ROLE "${owner}" LOGIN PASSWORD 'pw-owner'`);
    await db.query(`CREATE SCHEMA "${owner}" AUTHORIZATION "${owner}"`);
    await db.query(`CREATE TABLE "${owner}".things (id int)`);
    await db.query(`ALTER TABLE "${owner}".things OWNER TO "${owner}"`);
    const foreign = db.roleName("foreign");
    await db.query(`CREATE ROLE "${foreign}" NOLOGIN`);
    await db.query(`COMMENT ON ROLE "${foreign}" IS 'vaultlet-lease:another-lease-marker'`);
    const badHeir = db.roleName("badheir");
    await db.query(`CREATE ROLE "${badHeir}" NOLOGIN`);
    const custom = db.roleName("custom");
    await db.query(`CREATE ROLE "${custom}" NOLOGIN`);
    const session = await db.connectAs(plain[0]!, `pw-${plain[0]}`);
    session.on("error", () => undefined); // it is ended by the revocation

    const requests = [
      ...plain.map((name) => request(name)),
      request(owner),
      request(db.roleName("never-existed")),
      request(foreign, { marker: "this-lease-marker" }),
      request(badHeir, { settings: { ...DEFAULT_REVOCATION_SETTINGS, reassignTo: db.roleName("no-such-heir") } }),
      request(custom, { statements: [`DROP ROLE "{{name}}"`] }),
    ];
    const outcomes = await plugin.revokeUsers!(requests);

    expect(outcomes.slice(0, 7)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(outcomes[7]).toBeInstanceOf(PluginError);
    expect(outcomes[7]).toMatchObject({ refused: true, message: expect.stringMatching(/not created by this lease/) });
    expect(outcomes[8]).toBeInstanceOf(PluginError);
    expect(outcomes[8]).toMatchObject({ refused: true });
    expect(outcomes[9]).toBeUndefined();
    for (const name of [...plain, owner, custom]) expect(await exists(name)).toBe(false);
    expect(await exists(foreign)).toBe(true); // refused, nothing dropped
    expect(await exists(badHeir)).toBe(true); // its failure rolled back only its own steps
    expect((await db.query(`SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = to_regclass($1)`, [`"${owner}".things`])).rows[0]?.owner).toBe(db.user);
    await expect(session.query("SELECT 1")).rejects.toThrow(); // its session was ended
    await db.query(`DROP ROLE "${foreign}"`);
    await db.query(`DROP ROLE "${badHeir}"`);
  });

  it("rejects as unreachable, trying nothing, when the database does not answer", async () => {
    const down = createPostgresPlugin();
    await down.initialize({ connectionUrl: `postgresql://${db.user}:x@127.0.0.1:1/${db.name}`, maxOpenConnections: 2 }, { verifyConnection: false });
    const error = await down.revokeUsers!([request("a"), request("b")]).catch((err: unknown) => err);
    await down.close();
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ unreachable: true, refused: false });
  });
});
