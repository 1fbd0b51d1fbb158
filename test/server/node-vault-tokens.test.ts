/**
 * The real `node-vault` client against the example HTTP server, on the token endpoints issue 12
 * added or completed: token roles, create against a role, lookups with `id`, renew-self with the
 * token, revoke-orphan, sys/capabilities-accessor.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import nodeVault from "node-vault";
import { Engine, ManualClock, MemoryStorage } from "../../src/index.js";
import { serveOnLoopback, type RunningServer } from "./serve.js";

let engine: Engine;
let server: RunningServer;
let rootToken: string;

/** A fresh client (node-vault's create calls switch a client to the token they create). */
function vault(token?: string): nodeVault.client {
  return nodeVault({ endpoint: server.address, token });
}

/** The status of a rejected node-vault call. */
async function status(call: Promise<unknown>): Promise<number> {
  const error = (await call.then(
    () => expect.fail("the call should have been refused"),
    (e: unknown) => e,
  )) as nodeVault.ApiResponseError;
  return error.response.statusCode;
}

beforeEach(async () => {
  engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock() });
  ({ rootToken } = await engine.initialize());
  server = await serveOnLoopback(engine);
  await vault(rootToken).addPolicy({ name: "apps", rules: 'path "database/creds/readonly" { capabilities = ["read"] }' });
});

afterEach(async () => {
  await server.close();
  await engine.close();
});

describe("node-vault: token endpoints", () => {
  it("writes, reads, lists and deletes a token role, and creates a token against it", async () => {
    const admin = vault(rootToken);
    await admin.addTokenRole({ role_name: "web", allowed_policies: "apps", orphan: true, renewable: true, path_suffix: "v1" });
    expect((await admin.getTokenRole({ role_name: "web" })).data).toMatchObject({ name: "web", allowed_policies: ["apps"], orphan: true, path_suffix: "v1" });
    expect((await admin.tokenRoles()).data.keys).toEqual(["web"]);

    const created = await vault(rootToken).tokenCreateRole({ role_name: "web", ttl: "1h" });
    expect(created.auth).toMatchObject({ policies: ["apps", "default"], orphan: true, lease_duration: 3600 });
    const looked = await admin.tokenLookup({ token: created.auth.client_token });
    expect(looked.data).toMatchObject({ id: created.auth.client_token, role: "web", path: "auth/token/create/web/v1", issue_time: expect.any(String) });

    await admin.removeTokenRole({ role_name: "web" });
    expect(await status(admin.getTokenRole({ role_name: "web" }))).toBe(404);
    expect(await status(vault(rootToken).tokenCreateRole({ role_name: "web" }))).toBe(400);
  });

  it("lookup-self gives id and issue_time, renew-self gives the token back, lookup-accessor gives id \"\"", async () => {
    const created = await vault(rootToken).tokenCreate({ policies: ["apps"], ttl: "1h" });
    const app = vault(created.auth.client_token);
    const self = await app.tokenLookupSelf();
    expect(self.data).toMatchObject({ id: created.auth.client_token, accessor: created.auth.accessor, issue_time: expect.any(String) });
    expect((await app.tokenRenewSelf({ increment: "30m" })).auth).toMatchObject({ client_token: created.auth.client_token, lease_duration: 1800 });
    expect((await vault(rootToken).tokenLookupAccessor({ accessor: created.auth.accessor })).data.id).toBe("");
  });

  it("revoke-orphan revokes the token and leaves its children valid as orphans", async () => {
    await vault(rootToken).addPolicy({ name: "maker", rules: 'path "auth/token/create" { capabilities = ["update"] }' });
    const parent = await vault(rootToken).tokenCreate({ policies: ["maker", "apps"] });
    const child = await vault(parent.auth.client_token).tokenCreate({ policies: ["apps"] });
    await vault(rootToken).tokenRevokeOrphan({ token: parent.auth.client_token });
    expect(await status(vault(parent.auth.client_token).tokenLookupSelf())).toBe(403);
    expect((await vault(child.auth.client_token).tokenLookupSelf()).data.orphan).toBe(true);
  });

  it("sys/capabilities-accessor answers for the token behind an accessor", async () => {
    const created = await vault(rootToken).tokenCreate({ policies: ["apps"] });
    const answer = await vault(rootToken).write("sys/capabilities-accessor", { accessor: created.auth.accessor, paths: ["database/creds/readonly"] });
    expect(answer.data).toMatchObject({ "database/creds/readonly": ["read"], capabilities: ["read"] });
  });
});
