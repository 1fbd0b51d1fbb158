/**
 * Issue 20, item 8: a `denied_parameters` constraint on policy names holds however the caller
 * writes the names, because the engine stores them trimmed and lower-cased.
 */
import { describe, expect, it } from "vitest";
import { PermissionDeniedError, type Client } from "../../../src/index.js";
import { useEngineFixture } from "../../support/engine-fixture.js";

const freshEngine = useEngineFixture();

/** A token that may create tokens with sudo (any policies), except with the admin policy. */
async function minter(): Promise<{ root: Client; minter: Client }> {
  const { root, engine } = await freshEngine();
  await root.write("sys/policy/admin", { policy: 'path "*" { capabilities = ["sudo", "read", "update", "create", "delete", "list"] }' });
  await root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
  await root.write("sys/policy/minter", {
    policy: 'path "auth/token/create" {\n capabilities = ["update", "sudo"]\n denied_parameters = { policies = ["admin"] }\n}',
  });
  const { auth } = await root.write("auth/token/create", { policies: ["minter"], no_default_policy: true });
  return { root, minter: engine.client(auth!.client_token) };
}

describe("denied_parameters on policies, at auth/token/create", () => {
  it.each([["ADMIN"], [" Admin "], ["x,ADMIN"], ["apps, ADMIN "], [["ADMIN"]], [["apps", " admin"]]])(
    "refuses policies %j with a 403 and creates nothing",
    async (policies) => {
      const { root, minter: client } = await minter();
      const before = (await root.list("auth/token/accessors")).data!.keys.length;
      await expect(client.write("auth/token/create", { policies })).rejects.toBeInstanceOf(PermissionDeniedError);
      expect((await root.list("auth/token/accessors")).data!.keys.length).toBe(before);
    },
  );

  it("still creates tokens with the other policies, however they are written", async () => {
    const { minter: client } = await minter();
    const { auth } = await client.write("auth/token/create", { policies: " APPS " });
    expect(auth!.policies).toEqual(["apps", "default"]);
  });
});

describe("policy names elsewhere in the token backend: one normalization", () => {
  it("a token role's lists and a creation against it compare names as stored", async () => {
    const { root } = await minter();
    await root.write("auth/token/roles/web", { allowed_policies_glob: "APP*", disallowed_policies: " Admin , OPS" });
    expect((await root.read("auth/token/roles/web")).data).toMatchObject({ allowed_policies_glob: ["app*"], disallowed_policies: ["admin", "ops"] });
    const { auth } = await root.write("auth/token/create/web", { policies: " APPS " });
    expect(auth!.policies).toEqual(["apps", "default"]);
    await root.write("auth/token/roles/web", { allowed_policies_glob: "*" });
    await expect(root.write("auth/token/create/web", { policies: "x, ADMIN" })).rejects.toThrow(/"admin" is disallowed/);
  });

  it("denied_parameters on a role's policy lists hold however the names are written", async () => {
    const { root, engine } = await freshEngine();
    await root.write("sys/policy/role-writer", {
      policy: 'path "auth/token/roles/*" {\n capabilities = ["create", "update"]\n denied_parameters = { allowed_policies = ["admin"], allowed_policies_glob = ["*"] }\n}',
    });
    const { auth } = await root.write("auth/token/create", { policies: ["role-writer"], no_default_policy: true });
    const writer = engine.client(auth!.client_token);
    for (const allowed_policies of ["ADMIN", " apps, Admin", ["Admin "]]) {
      await expect(writer.write("auth/token/roles/web", { allowed_policies })).rejects.toBeInstanceOf(PermissionDeniedError);
    }
    await expect(writer.write("auth/token/roles/web", { allowed_policies: "APPS" })).resolves.toBeDefined();
    expect((await root.read("auth/token/roles/web")).data).toMatchObject({ allowed_policies: ["apps"] });
  });
});
