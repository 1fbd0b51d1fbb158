/**
 * `sys/policy` and `sys/policies/acl` as Vault: `default` is editable (never deletable), `root` and
 * `response-wrapping` are immutable, and a change made through one engine holds on every engine on
 * the same storage.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_TEXT, Engine, InvalidRequestError, MemoryStorage, PermissionDeniedError } from "../../src/index.js";

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function open(storage = new MemoryStorage()) {
  const engine = await Engine.open({ storage });
  engines.push(engine);
  const { rootToken } = engine.initialized ? { rootToken: "" } : await engine.initialize();
  return { engine, root: engine.client(rootToken), storage };
}

async function tokenWith(root: ReturnType<Engine["client"]>, policies: string[]): Promise<string> {
  const created = await root.write("auth/token/create", { policies });
  return created.auth!.client_token;
}

describe("the default policy", () => {
  it("reads as Vault's built-in text until written, and a write replaces what every token with it may do", async () => {
    const { engine, root } = await open();
    expect((await root.read("sys/policies/acl/default")).data).toEqual({ name: "default", policy: DEFAULT_POLICY_TEXT });
    const app = engine.client(await tokenWith(root, ["default"]));
    await expect(app.read("auth/token/lookup-self")).resolves.toBeTruthy();
    await expect(app.list("sys/policy")).rejects.toBeInstanceOf(PermissionDeniedError);

    const text = 'path "sys/policy" { capabilities = ["list"] }';
    await root.write("sys/policy/default", { policy: text });
    expect((await root.read("sys/policy/default")).data).toEqual({ name: "default", rules: text });
    await expect(app.list("sys/policy")).resolves.toBeTruthy();
    await expect(app.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("cannot be deleted, as in Vault", async () => {
    const { root } = await open();
    await expect(root.delete("sys/policy/default")).rejects.toThrow(/cannot delete default policy/);
    await expect(root.delete("sys/policies/acl/default")).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it("is seen edited by a second engine on the same storage", async () => {
    const first = await open();
    const second = await open(first.storage);
    const token = await tokenWith(first.root, ["default"]);
    await expect(second.engine.client(token).list("sys/policy")).rejects.toBeInstanceOf(PermissionDeniedError);
    await first.root.write("sys/policy/default", { policy: 'path "sys/policy" { capabilities = ["list"] }' });
    await expect(second.engine.client(token).list("sys/policy")).resolves.toBeTruthy();
  });

  it("refuses bad text for default and keeps the text it had", async () => {
    const { root } = await open();
    await expect(root.write("sys/policy/default", { policy: 'path "x" { capabilities = ["raed"] }' })).rejects.toThrow(/raed/);
    expect((await root.read("sys/policy/default")).data!.rules).toBe(DEFAULT_POLICY_TEXT);
  });
});

describe("the immutable built-ins", () => {
  it("root reads with empty rules and can be neither written nor deleted", async () => {
    const { root } = await open();
    expect((await root.read("sys/policy/root")).data).toEqual({ name: "root", rules: "" });
    await expect(root.write("sys/policy/root", { policy: 'path "x" { capabilities = ["read"] }' })).rejects.toThrow(/cannot update "root" policy/);
    await expect(root.delete("sys/policies/acl/root")).rejects.toThrow(/cannot delete "root" policy/);
  });

  it("response-wrapping can be neither written nor deleted, and is not listed", async () => {
    const { root } = await open();
    await expect(root.write("sys/policy/response-wrapping", { policy: 'path "x" { capabilities = ["read"] }' })).rejects.toThrow(
      /cannot update "response-wrapping" policy/,
    );
    await expect(root.delete("sys/policy/response-wrapping")).rejects.toThrow(/cannot delete "response-wrapping" policy/);
    expect((await root.list("sys/policies/acl")).data!.keys).toEqual(["default", "root"]);
  });
});

describe("LIST and Vault's deny fix, through the engine", () => {
  it("denies listing a folder whose contents a policy denies, though a broader rule grants list", async () => {
    const { engine, root } = await open();
    await root.write("sys/policy/lister", {
      policy: 'path "sys/policies/*" { capabilities = ["list"] }\npath "sys/policies/acl/*" { capabilities = ["deny"] }',
    });
    const lister = engine.client(await tokenWith(root, ["lister"]));
    await expect(lister.list("sys/policies/acl")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(lister.list("sys/policies/acl/")).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});
