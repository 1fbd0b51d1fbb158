import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../src/errors.js";
import { calculateTtl, formatDuration, parseDuration, parseOptionalDuration } from "../../src/util/ttl.js";

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
