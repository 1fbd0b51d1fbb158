import { describe, expect, it } from "vitest";
import { isRoleAllowed, type ConnectionConfig } from "../../../src/secrets/database/connection-config.js";

const allowing = (...allowed_roles: string[]) => ({ allowed_roles }) as unknown as ConnectionConfig;

/** The definition, written the slow way: each `*` is `.*`, everything else literal. */
function reference(pattern: string, role: string): boolean {
  const literal = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${literal.join(".*")}$`).test(role);
}

describe("allowed_roles matching", () => {
  it("matches exact names, * anywhere, and nothing else", () => {
    expect(isRoleAllowed(allowing("readonly"), "readonly")).toBe(true);
    expect(isRoleAllowed(allowing("readonly"), "readonly2")).toBe(false);
    expect(isRoleAllowed(allowing("*"), "anything")).toBe(true);
    expect(isRoleAllowed(allowing("app-*"), "app-reader")).toBe(true);
    expect(isRoleAllowed(allowing("app-*"), "web-reader")).toBe(false);
    expect(isRoleAllowed(allowing("*-ro"), "billing-ro")).toBe(true);
    expect(isRoleAllowed(allowing("a*b*c"), "abc")).toBe(true);
    expect(isRoleAllowed(allowing("a*b*c"), "acb")).toBe(false);
    expect(isRoleAllowed(allowing("ab*ba"), "aba")).toBe(false); // the parts may not overlap
    expect(isRoleAllowed(allowing("r.o"), "rxo")).toBe(false); // regex characters are literal
    expect(isRoleAllowed(allowing(), "readonly")).toBe(false);
    expect(isRoleAllowed(allowing("x", "read*"), "readonly")).toBe(true);
  });

  it("agrees with the regular-expression definition on every small pattern and name", () => {
    const words = (alphabet: string[], maxLength: number): string[] => {
      let level = [""];
      const all = [""];
      for (let length = 1; length <= maxLength; length++) {
        level = level.flatMap((word) => alphabet.map((c) => word + c));
        all.push(...level);
      }
      return all;
    };
    const patterns = words(["a", "b", "*"], 5);
    const names = words(["a", "b"], 5);
    for (const pattern of patterns) {
      for (const name of names) expect([pattern, name, isRoleAllowed(allowing(pattern), name)]).toEqual([pattern, name, reference(pattern, name)]);
    }
  });
});
