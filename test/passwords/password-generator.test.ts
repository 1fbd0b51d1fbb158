import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../src/errors.js";
import { DEFAULT_PASSWORD_POLICY, generatePassword, validatePasswordPolicy } from "../../src/passwords/password-generator.js";

describe("generatePassword", () => {
  it("follows Vault's default policy: 20 chars of [A-Za-z0-9-] with each class present", () => {
    for (let i = 0; i < 500; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^[A-Za-z0-9-]{20}$/);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/-/);
    }
  });

  it("never repeats across many draws", () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generatePassword()));
    expect(seen.size).toBe(2000);
  });

  it("places required characters at varying positions", () => {
    const dashPositions = new Set(Array.from({ length: 300 }, () => generatePassword().indexOf("-")));
    expect(dashPositions.size).toBeGreaterThan(10);
  });
});

describe("validatePasswordPolicy", () => {
  it("accepts the default policy", () => {
    expect(() => validatePasswordPolicy(DEFAULT_PASSWORD_POLICY)).not.toThrow();
  });

  it.each(["'", '"', "\\", ";", "$", "`"])("rejects a charset containing %s", (bad) => {
    expect(() => validatePasswordPolicy({ length: 20, rules: [{ charset: `abc${bad}`, minChars: 1 }] })).toThrow(InvalidRequestError);
  });

  it("rejects rules that need more characters than the length", () => {
    expect(() => validatePasswordPolicy({ length: 4, rules: [{ charset: "ab", minChars: 3 }, { charset: "12", minChars: 3 }] })).toThrow(
      /at least 6/,
    );
  });
});
