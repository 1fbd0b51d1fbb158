import { describe, expect, it } from "vitest";
import { InvalidRequestError, NotFoundError } from "../../src/errors.js";
import { calculateTtl, formatDuration, MAX_DURATION_SECONDS, parseDuration, parseOptionalDuration } from "../../src/util/ttl.js";
import { useEngineFixture } from "../support/engine-fixture.js";

describe("parseDuration", () => {
  it.each([
    [3600, 3600],
    ["3600", 3600],
    ["1h", 3600],
    ["30m", 1800],
    ["1h30m", 5400],
    ["768h0m0s", 2_764_800],
    ["1.5h", 5400],
    ["7d", 604_800],
    ["90s", 90],
    ["1500ms", 1],
  ])("parses %j as %i seconds", (input, seconds) => {
    expect(parseDuration(input, "ttl")).toBe(seconds);
  });

  it.each(["soon", "1x", "-5", "h", "1h 30m", "1h-30m", "", " "])("rejects %j with an error naming the field", (input) => {
    expect(() => parseDuration(input, "default_ttl")).toThrow(InvalidRequestError);
    expect(() => parseDuration(input, "default_ttl")).toThrow(/default_ttl/);
  });

  it("rejects negative numbers and non-string types", () => {
    expect(() => parseDuration(-1, "ttl")).toThrow(InvalidRequestError);
    expect(() => parseDuration({}, "ttl")).toThrow(InvalidRequestError);
    expect(() => parseDuration(Number.NaN, "ttl")).toThrow(InvalidRequestError);
  });

  it("treats absent values as not set", () => {
    expect(parseOptionalDuration(undefined, "ttl")).toBeUndefined();
    expect(parseOptionalDuration(null, "ttl")).toBeUndefined();
    expect(parseOptionalDuration("", "ttl")).toBeUndefined();
  });
});

describe("calculateTtl", () => {
  it("uses the role default, capped by nothing when below every max", () => {
    expect(calculateTtl({ roleDefault: 3600, roleMax: 86_400 })).toEqual({ ttl: 3600, maxTtl: 86_400 });
  });

  it("falls back to the mount default, then the 32-day system default", () => {
    expect(calculateTtl({ mountDefault: 600 }).ttl).toBe(600);
    expect(calculateTtl({}).ttl).toBe(32 * 86_400);
  });

  it("caps the TTL by the role max with a warning", () => {
    const decision = calculateTtl({ roleDefault: 7200, roleMax: 3600 });
    expect(decision.ttl).toBe(3600);
    expect(decision.warning).toMatch(/capped/);
  });

  it("caps the role max by the mount max", () => {
    const decision = calculateTtl({ roleDefault: 7200, roleMax: 86_400, mountMax: 3600 });
    expect(decision).toMatchObject({ ttl: 3600, maxTtl: 3600 });
  });

  it("prefers a requested TTL over defaults", () => {
    expect(calculateTtl({ requested: 60, roleDefault: 3600 }).ttl).toBe(60);
  });
});

describe("formatDuration", () => {
  it("prints Vault's style", () => {
    expect(formatDuration(3600)).toBe("1h0m0s");
    expect(formatDuration(2_764_800)).toBe("768h0m0s");
    expect(formatDuration(45)).toBe("45s");
    expect(formatDuration(61)).toBe("1m1s");
  });
});

describe("the ceiling on durations", () => {
  it(`accepts ${MAX_DURATION_SECONDS} seconds (100 years) and refuses anything longer with InvalidRequestError`, () => {
    expect(parseDuration(MAX_DURATION_SECONDS, "ttl")).toBe(MAX_DURATION_SECONDS);
    expect(parseDuration("876000h", "ttl")).toBe(MAX_DURATION_SECONDS);
    expect(parseDuration("87600h", "max_lease_ttl")).toBe(315_360_000); // Vault's docs' favourite
    for (const value of [MAX_DURATION_SECONDS + 1, 1e300, "876001h", "1e300", "99999999999999999999d", "36500d1s"]) {
      expect(() => parseDuration(value, "ttl"), String(value)).toThrow(InvalidRequestError);
    }
  });
});

describe("durations past the ceiling, through the engine", () => {
  const open = useEngineFixture();

  it("are refused wherever a duration is written, and nothing is stored", async () => {
    const fixture = await open();
    const { root } = fixture;
    const writes: Array<[string, Record<string, unknown>]> = [
      ["database/roles/forever", { db_name: "fake", creation_statements: "SELECT 1", default_ttl: 1e300 }],
      ["database/roles/forever", { db_name: "fake", creation_statements: "SELECT 1", max_ttl: "876001h" }],
      ["auth/token/create", { ttl: 1e300 }],
      ["auth/token/create", { explicit_max_ttl: 1e300 }],
      ["sys/mounts/database/tune", { max_lease_ttl: 1e300 }],
    ];
    for (const [path, body] of writes) {
      await expect(root.write(path, body), path).rejects.toThrow(InvalidRequestError);
    }
    await expect(root.read("database/roles/forever")).rejects.toThrow(NotFoundError);
    const { leaseId } = await fixture.issue("readonly"); // the mount's tune was refused: it still issues
    expect(leaseId).toMatch(/^database\/creds\/readonly\//);
  });

  it("leave a token's lookup-self working: a 100-year token is printable", async () => {
    const { root, engine } = await open();
    const created = await root.write<never>("auth/token/create", { ttl: "876000h", explicit_max_ttl: "876000h" });
    const self = await engine.client(created.auth!.client_token).read<{ expire_time: string }>("auth/token/lookup-self");
    expect(typeof self.data!.expire_time).toBe("string");
  });
});
