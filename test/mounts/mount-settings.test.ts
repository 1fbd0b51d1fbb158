/**
 * `sys/mounts` settings as Vault documents them (issue 12, item 4 and item 1 for the mount
 * endpoints): tune reads give the TTLs in effect, and every documented parameter is honoured or
 * refused with a 400 naming it — never accepted and dropped.
 */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../src/index.js";
import { useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture();
const THIRTY_TWO_DAYS = 768 * 3600;

describe("tune reads", () => {
  it("an untuned mount says the effective defaults (768h), as Vault's tune read", async () => {
    const { root } = await seed();
    expect((await root.read("sys/mounts/database/tune")).data).toEqual({
      description: "",
      default_lease_ttl: THIRTY_TWO_DAYS,
      max_lease_ttl: THIRTY_TWO_DAYS,
      force_no_cache: false,
    });
    // The mount listing keeps Vault's 0 = "system default".
    expect((await root.read("sys/mounts/database")).data).toMatchObject({ config: { default_lease_ttl: 0, max_lease_ttl: 0 } });
  });

  it("a tuned mount says its own, with its description, options and max_leases", async () => {
    const { root } = await seed();
    await root.write("sys/mounts/database/tune", { default_lease_ttl: "1h", description: "team db", options: { team: "a" }, max_leases: 5 });
    expect((await root.read("sys/mounts/database/tune")).data).toEqual({
      description: "team db",
      default_lease_ttl: 3600,
      max_lease_ttl: THIRTY_TWO_DAYS,
      force_no_cache: false,
      max_leases: 5,
      options: { team: "a" },
    });
    expect((await root.read("sys/mounts/database")).data).toMatchObject({ description: "team db", options: { team: "a" } });
  });

  it("the token mount says its token type", async () => {
    const { root } = await seed();
    expect((await root.read("sys/mounts/auth/token/tune")).data).toMatchObject({ token_type: "default-service", max_lease_ttl: THIRTY_TWO_DAYS });
  });
});

describe("tune parameters", () => {
  it.each([
    ["audit_non_hmac_request_keys", ["username"]],
    ["audit_non_hmac_response_keys", ["password"]],
    ["listing_visibility", "unauth"],
    ["passthrough_request_headers", ["X-Custom"]],
    ["allowed_response_headers", ["X-Custom"]],
    ["plugin_version", "v1.0.0"],
    ["allowed_managed_keys", ["k"]],
    ["user_lockout_config", { lockout_threshold: 3 }],
    ["token_type", "batch"],
  ])("refuses %s at a non-default value, naming it, and changes nothing", async (field, value) => {
    const { root } = await seed();
    const refusal = root.write("sys/mounts/database/tune", { [field]: value, max_lease_ttl: "1h" });
    await expect(refusal).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(refusal).rejects.toThrow(new RegExp(`^${field} is not supported: `));
    expect((await root.read("sys/mounts/database/tune")).data).toMatchObject({ max_lease_ttl: THIRTY_TWO_DAYS });
  });

  it("accepts them at their defaults without a warning", async () => {
    const { root } = await seed();
    const answer = await root.write("sys/mounts/database/tune", {
      audit_non_hmac_request_keys: [],
      listing_visibility: "hidden",
      passthrough_request_headers: [],
      plugin_version: "",
      max_lease_ttl: "1h",
    });
    expect(answer.warnings).toBeNull();
    expect((await root.read("sys/mounts/database/tune")).data).toMatchObject({ max_lease_ttl: 3600 });
  });

  it("token_type: service tokens on the token mount only", async () => {
    const { root } = await seed();
    await expect(root.write("sys/mounts/auth/token/tune", { token_type: "default-service" })).resolves.toBeTruthy();
    await expect(root.write("sys/mounts/auth/token/tune", { token_type: "default-batch" })).rejects.toThrow(/service tokens only/);
    await expect(root.write("sys/mounts/database/tune", { token_type: "service" })).rejects.toThrow(/auth mounts/);
  });
});

describe("enable parameters", () => {
  it.each([
    ["local", true],
    ["seal_wrap", true],
    ["external_entropy_access", true],
    ["plugin_version", "v1.2.3"],
  ])("refuses %s, naming it, and mounts nothing", async (field, value) => {
    const { root } = await seed();
    await expect(root.write("sys/mounts/other", { type: "database", [field]: value })).rejects.toThrow(new RegExp(`^${field} is not supported: `));
    expect(Object.keys((await root.read("sys/mounts")).data!)).not.toContain("other/");
  });

  it("accepts local, seal_wrap and external_entropy_access at false", async () => {
    const { root } = await seed();
    const answer = await root.write("sys/mounts/other", { type: "database", local: false, seal_wrap: false, external_entropy_access: false });
    expect(answer.warnings).toBeNull();
    expect((await root.read("sys/mounts/other")).data).toMatchObject({ local: false, seal_wrap: false, external_entropy_access: false, plugin_version: "" });
  });

  it("refuses unsupported config keys at non-default values, naming them as config.<key>", async () => {
    const { root } = await seed();
    await expect(root.write("sys/mounts/other", { type: "database", config: { passthrough_request_headers: ["X-A"] } })).rejects.toThrow(
      /^config\.passthrough_request_headers is not supported/,
    );
    await expect(root.write("sys/mounts/other", { type: "database", config: { listing_visibility: "unauth" } })).rejects.toThrow(/^config\.listing_visibility/);
  });

  it("honours config.force_no_cache (vaultlet never caches a mount's storage) and reports it", async () => {
    const { root } = await seed();
    await root.write("sys/mounts/other", { type: "database", config: { force_no_cache: true, max_lease_ttl: "1h" } });
    expect((await root.read("sys/mounts/other")).data).toMatchObject({ config: { force_no_cache: true, max_lease_ttl: 3600 } });
    expect((await root.read("sys/mounts/other/tune")).data).toMatchObject({ force_no_cache: true });
  });

  it("names an unknown config key in the warnings", async () => {
    const { root } = await seed();
    const answer = await root.write("sys/mounts/other", { type: "database", config: { max_lease_tll: "1h" } });
    expect(answer.warnings).toEqual(["Endpoint ignored these unrecognized parameters: [config.max_lease_tll]"]);
  });
});
