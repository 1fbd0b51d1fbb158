import { describe, expect, it } from "vitest";
import { DEFAULT_PASSWORD_POLICY } from "../../src/passwords/password-generator.js";
import { guaranteedEntropyBits } from "../../src/passwords/password-strength.js";
import { scramIterationsFor } from "../../src/secrets/database/plugins/postgres/scram.js";

describe("guaranteedEntropyBits", () => {
  it("counts each required character from its charset and the rest from the union", () => {
    // 1 of 26, 1 of 26, 1 of 10, 1 of 1, then 16 of 63.
    expect(guaranteedEntropyBits(DEFAULT_PASSWORD_POLICY)).toBeCloseTo(2 * Math.log2(26) + Math.log2(10) + 16 * Math.log2(63), 6);
    expect(guaranteedEntropyBits({ length: 12, rules: [{ charset: "abcdefghijklmnopqrstuvwxyz", minChars: 1 }] })).toBeCloseTo(12 * Math.log2(26), 6);
    expect(guaranteedEntropyBits({ length: 8, rules: [{ charset: "aaaa", minChars: 8 }] })).toBe(0); // one character, repeated
  });
});

describe("scramIterationsFor", () => {
  it("keeps PostgreSQL's 4096 unless the password is known to have 80 bits or more", () => {
    expect(scramIterationsFor(undefined)).toBe(4096);
    expect(scramIterationsFor(79.9)).toBe(4096);
    expect(scramIterationsFor(80)).toBe(256);
    expect(scramIterationsFor(guaranteedEntropyBits(DEFAULT_PASSWORD_POLICY))).toBe(256);
  });
});
