import { beforeEach, describe, expect, it } from "vitest";
import { Engine, InvalidRequestError, MemoryStorage, NotFoundError, type Client } from "../../src/index.js";
import { parsePasswordPolicy } from "../../src/passwords/password-policy-parse.js";

const VAULT_EXAMPLE = `
length = 24
rule "charset" {
  charset = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 2
}
rule "charset" {
  charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  min-chars = 2
}
rule "charset" {
  charset = "0123456789"
  min-chars = 2
}
rule "charset" {
  charset = "!@#%^&*"
  min-chars = 1
}`;

describe("password policy HCL", () => {
  it("reads Vault's format", () => {
    const policy = parsePasswordPolicy("p", VAULT_EXAMPLE);
    expect(policy.length).toBe(24);
    expect(policy.rules).toHaveLength(4);
    expect(policy.rules[3]).toEqual({ charset: "!@#%^&*", minChars: 1 });
  });

  it.each([
    [`length = 20\nrule "charset" { charset = "abc'" }`, /charset contains "'"/],
    [`length = 20\nrule "charset" { charset = "ab$c" }`, /charset contains "\$"/],
    [`length = 4\nrule "charset" { charset = "abc" min-chars = 3 }\nrule "charset" { charset = "123" min-chars = 3 }`, /at least 6 characters but length is 4/],
    [`rule "charset" { charset = "abc" }`, /length is required/],
    [`length = 20`, /at least one charset rule/],
    [`length = 20\nrule "charset" { charset = "" min-chars = 1 }`, /charset is empty/],
    [`length = 20\nrule "charset" { charset = "abc" min-char = 1 }`, /unknown or mistyped field "min-char"/],
    [`length = 20\nrule "alpha" { charset = "abc" }`, /only rule "charset"/],
    [`length = 20\nsize = 3`, /unknown field "size"/],
    [`length = "20"`, /length must be a non-negative integer/],
    [`length = 20 rule "charset" {`, /line 1/],
  ])("rejects %s", (text, message) => {
    expect(() => parsePasswordPolicy("p", text)).toThrow(InvalidRequestError);
    expect(() => parsePasswordPolicy("p", text)).toThrow(message);
  });
});

describe("sys/policies/password", () => {
  let root: Client;

  beforeEach(async () => {
    const engine = await Engine.open({ storage: new MemoryStorage() });
    root = engine.client((await engine.initialize()).rootToken);
  });

  it("writes, reads, lists, generates and deletes", async () => {
    await root.write("sys/policies/password/strong", { policy: VAULT_EXAMPLE });
    expect((await root.read("sys/policies/password/strong")).data).toEqual({ policy: VAULT_EXAMPLE });
    expect((await root.list("sys/policies/password")).data).toEqual({ keys: ["strong"] });
    for (let i = 0; i < 50; i++) {
      const { password } = (await root.read<{ password: string }>("sys/policies/password/strong/generate")).data!;
      expect(password).toHaveLength(24);
      expect(password).toMatch(/^[a-zA-Z0-9!@#%^&*]+$/);
      expect(password.match(/[a-z]/g)!.length).toBeGreaterThanOrEqual(2);
      expect(password.match(/[!@#%^&*]/g)!.length).toBeGreaterThanOrEqual(1);
    }
    await root.delete("sys/policies/password/strong");
    await expect(root.read("sys/policies/password/strong")).rejects.toBeInstanceOf(NotFoundError);
    await expect(root.read("sys/policies/password/strong/generate")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses a policy that emits ' or cannot be satisfied, and stores nothing", async () => {
    await expect(root.write("sys/policies/password/bad", { policy: `length = 10\nrule "charset" { charset = "ab'" }` })).rejects.toMatchObject({
      code: "invalid_request",
      message: expect.stringMatching(/password policy "bad".*"'"/),
    });
    await expect(root.write("sys/policies/password/bad", { policy: `length = 5\nrule "charset" { charset = "ab" min-chars = 6 }` })).rejects.toMatchObject({
      message: expect.stringMatching(/need at least 6 characters but length is 5/),
    });
    await expect(root.read("sys/policies/password/bad")).rejects.toBeInstanceOf(NotFoundError);
  });
});
