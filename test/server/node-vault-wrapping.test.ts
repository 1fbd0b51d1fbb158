/**
 * node-vault over the example HTTP server, for issue 12's policies, response wrapping and the
 * node-status endpoints: `X-Vault-Wrap-TTL`, `vault.unwrap`, `sys/wrapping/*`, the editable
 * `default` policy, `sys/init`, `sys/seal-status`, `sys/leader`, `sys/health`, and the refused
 * seal, unseal and auth writes.
 */
import { afterEach, describe, expect, it } from "vitest";
import nodeVault from "node-vault";
import { DEFAULT_POLICY_TEXT, Engine, MemoryStorage } from "../../src/index.js";
import { useEngineFixture } from "../support/engine-fixture.js";
import { serveOnLoopback, type RunningServer } from "./serve.js";

const seed = useEngineFixture();
const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(engine: Engine): Promise<RunningServer> {
  const server = await serveOnLoopback(engine);
  servers.push(server);
  return server;
}

async function setup() {
  const fixture = await seed();
  const server = await serve(fixture.engine);
  const vault = (token?: string) => nodeVault({ endpoint: server.address, token });
  return { ...fixture, server, vault };
}

/** The status and message of a rejected node-vault call. */
async function failure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error = (await call.then(
    () => expect.fail("the call should have been refused"),
    (e: unknown) => e,
  )) as nodeVault.ApiResponseError;
  return { status: error.response.statusCode, message: error.message };
}

/** Fresh options each call: node-vault adds its token header to the object it is given. */
const wrap60s = () => ({ headers: { "X-Vault-Wrap-TTL": "60s" } });

describe("response wrapping over HTTP", () => {
  it("wraps creds with X-Vault-Wrap-TTL, and vault.unwrap gives them back once", async () => {
    const { vault, rootToken, db } = await setup();
    const wrapped = await vault(rootToken).read("database/creds/readonly", wrap60s());
    expect(wrapped.data).toBeNull();
    expect(wrapped.wrap_info).toMatchObject({ ttl: 60, creation_path: "database/creds/readonly", token: expect.any(String), accessor: expect.any(String) });

    const holder = vault(wrapped.wrap_info.token);
    const unwrapped = await holder.unwrap();
    expect(unwrapped.lease_id).toMatch(/^database\/creds\/readonly\//);
    expect(db.users.has(unwrapped.data.username)).toBe(true);
    expect((await failure(holder.unwrap())).status).toBe(403);
  });

  it("unwraps by token in the body with another token, then refuses the second attempt", async () => {
    const { vault, rootToken } = await setup();
    const wrapped = await vault(rootToken).write("sys/wrapping/wrap", { foo: "bar" }, wrap60s());
    expect(wrapped.wrap_info.creation_path).toBe("sys/wrapping/wrap");
    expect((await vault(rootToken).unwrap({ token: wrapped.wrap_info.token })).data).toEqual({ foo: "bar" });
    const again = await failure(vault(rootToken).unwrap({ token: wrapped.wrap_info.token }));
    expect(again).toMatchObject({ status: 400, message: expect.stringContaining("wrapping token is not valid or does not exist") });
  });

  it("looks up a wrapping token without a token, and rewraps it", async () => {
    const { vault, rootToken } = await setup();
    const wrapped = await vault(rootToken).write("sys/wrapping/wrap", { zip: "zap" }, wrap60s());
    const lookup = await vault().write("sys/wrapping/lookup", { token: wrapped.wrap_info.token });
    expect(lookup.data).toMatchObject({ creation_path: "sys/wrapping/wrap", creation_ttl: 60 });
    const rewrapped = await vault(rootToken).write("sys/wrapping/rewrap", { token: wrapped.wrap_info.token });
    expect(rewrapped.wrap_info.token).not.toBe(wrapped.wrap_info.token);
    expect((await vault(rewrapped.wrap_info.token).unwrap()).data).toEqual({ zip: "zap" });
  });

  it("answers 400 for a wrap TTL that is not a duration, and for the jwt format", async () => {
    const { vault, rootToken } = await setup();
    expect((await failure(vault(rootToken).read("database/creds/readonly", { headers: { "X-Vault-Wrap-TTL": "soon" } }))).status).toBe(400);
    const jwt = { headers: { "X-Vault-Wrap-TTL": "60s", "X-Vault-Wrap-Format": "jwt" } };
    expect((await failure(vault(rootToken).read("database/creds/readonly", jwt))).message).toMatch(/jwt is not supported/);
  });
});

describe("policies over HTTP", () => {
  it("edits the default policy with addPolicy, and refuses deleting it", async () => {
    const { vault, rootToken } = await setup();
    expect((await vault(rootToken).getPolicy({ name: "default" })).rules).toBe(DEFAULT_POLICY_TEXT);
    await vault(rootToken).addPolicy({ name: "default", rules: 'path "sys/policy" { capabilities = ["read", "list"] }' });
    const app = await vault(rootToken).tokenCreate({ policies: ["default"] });
    expect((await vault(app.auth.client_token).policies()).data.keys).toContain("default");
    expect((await failure(vault(rootToken).removePolicy({ name: "default" }))).message).toMatch(/cannot delete default policy/);
  });
});

describe("the node's status endpoints", () => {
  it("answers sys/init, sys/seal-status and sys/leader as an initialized, unsealed node without HA, with no token", async () => {
    const { vault } = await setup();
    expect(await vault().initialized()).toEqual({ initialized: true });
    expect(await vault().status()).toMatchObject({ type: "shamir", initialized: true, sealed: false, t: 1, n: 1, progress: 0, version: "vaultlet" });
    expect(await vault().read("sys/leader")).toMatchObject({ ha_enabled: false, is_self: false, leader_address: "" });
  });

  it("answers sys/health 200, honouring activecode, and 501 (or uninitcode) before initialization", async () => {
    const { vault, server } = await setup();
    expect(await vault().health()).toMatchObject({ initialized: true, sealed: false, standby: false, performance_standby: false });
    expect((await fetch(`${server.address}/v1/sys/health?standbyok=true&activecode=204`)).status).toBe(204);
    expect((await fetch(`${server.address}/v1/sys/health?activecode=nope`)).status).toBe(400);
    const fresh = await Engine.open({ storage: new MemoryStorage() });
    try {
      const uninitialized = await serve(fresh);
      expect((await fetch(`${uninitialized.address}/v1/sys/health`)).status).toBe(501);
      expect((await fetch(`${uninitialized.address}/v1/sys/health?uninitcode=200`)).status).toBe(200);
      expect(await (await fetch(`${uninitialized.address}/v1/sys/init`)).json()).toEqual({ initialized: false });
    } finally {
      await fresh.close();
    }
  });

  it("refuses sys/seal, sys/unseal, sys/init and sys/auth writes with a 400 that says why", async () => {
    const { vault, rootToken } = await setup();
    expect(await failure(vault(rootToken).seal())).toMatchObject({ status: 400, message: expect.stringContaining("vaultlet embeds no seal") });
    expect(await failure(vault().unseal({ secret_shares: 1, key: "abc" }))).toMatchObject({ status: 400, message: expect.stringContaining("no seal") });
    expect((await failure(vault().init({ secret_shares: 1, secret_threshold: 1 }))).status).toBe(400);
    expect(await failure(vault(rootToken).enableAuth({ mount_point: "approle", type: "approle" }))).toMatchObject({
      status: 400,
      message: expect.stringContaining("one auth method, token"),
    });
  });
});
