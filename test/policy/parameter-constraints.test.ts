/**
 * allowed_parameters, denied_parameters and required_parameters, checked as Vault checks them:
 * required first, then denied, then allowed; names case-insensitive; glob values; `*` keys; empty
 * lists meaning "any value".
 */
import { describe, expect, it } from "vitest";
import { allows, evaluatorFor } from "./helpers.js";

/** An evaluator whose only rule, on path "p", grants create/read/update/patch/delete/list with the given constraints. */
function constrained(constraints: string) {
  return evaluatorFor(`path "p" {\n  capabilities = ["create", "read", "update", "patch", "delete", "list"]\n  ${constraints}\n}`);
}

describe("allowed_parameters", () => {
  const evaluator = constrained('allowed_parameters = { "ttl" = ["1h", "2h"], "name" = [] }');

  it("allows a listed parameter with a listed value", () => {
    expect(allows(evaluator, "update", "p", { ttl: "1h" })).toBe(true);
  });

  it("denies a listed parameter with another value", () => {
    expect(allows(evaluator, "update", "p", { ttl: "3h" })).toBe(false);
  });

  it("allows any value when the list is empty", () => {
    expect(allows(evaluator, "update", "p", { name: "anything at all" })).toBe(true);
  });

  it("denies a parameter that is not listed", () => {
    expect(allows(evaluator, "update", "p", { ttl: "1h", other: "x" })).toBe(false);
  });

  it("allows a request without data", () => {
    expect(allows(evaluator, "update", "p")).toBe(true);
    expect(allows(evaluator, "update", "p", {})).toBe(true);
  });

  it("compares parameter names case-insensitively", () => {
    const upper = constrained('allowed_parameters = { "TTL" = ["1h"] }');
    expect(allows(upper, "update", "p", { ttl: "1h" })).toBe(true);
    expect(allows(upper, "update", "p", { Ttl: "1h" })).toBe(true);
    expect(allows(upper, "update", "p", { TTL: "2h" })).toBe(false);
  });

  it('allows every parameter when "*" is the only key', () => {
    const star = constrained('allowed_parameters = { "*" = [] }');
    expect(allows(star, "update", "p", { anything: 1, else: "x" })).toBe(true);
  });

  it('with "*" beside named keys, lets unnamed parameters through and still checks named ones', () => {
    const mixed = constrained('allowed_parameters = { "*" = [], "ttl" = ["1h"] }');
    expect(allows(mixed, "update", "p", { other: "x", ttl: "1h" })).toBe(true);
    expect(allows(mixed, "update", "p", { other: "x", ttl: "9h" })).toBe(false);
  });

  it("matches glob values with a leading and/or trailing *", () => {
    const globs = constrained('allowed_parameters = { "a" = ["pre*"], "b" = ["*post"], "c" = ["*mid*"] }');
    expect(allows(globs, "update", "p", { a: "prefix" })).toBe(true);
    expect(allows(globs, "update", "p", { a: "xprefix" })).toBe(false);
    expect(allows(globs, "update", "p", { b: "the-post" })).toBe(true);
    expect(allows(globs, "update", "p", { b: "postscript" })).toBe(false);
    expect(allows(globs, "update", "p", { c: "amidst" })).toBe(true);
    expect(allows(globs, "update", "p", { c: "none" })).toBe(false);
  });

  it('treats a lone "*" value as the literal string "*" (too short to be a glob, as in Vault)', () => {
    const lone = constrained('allowed_parameters = { "a" = ["*"] }');
    expect(allows(lone, "update", "p", { a: "*" })).toBe(true);
    expect(allows(lone, "update", "p", { a: "x" })).toBe(false);
  });

  it("checks every element of a list value, and every part of a comma-separated string", () => {
    const colors = constrained('allowed_parameters = { "colors" = ["red", "blue"] }');
    expect(allows(colors, "update", "p", { colors: ["red", "blue"] })).toBe(true);
    expect(allows(colors, "update", "p", { colors: ["red", "green"] })).toBe(false);
    expect(allows(colors, "update", "p", { colors: "red, blue" })).toBe(true);
    expect(allows(colors, "update", "p", { colors: "red,green" })).toBe(false);
  });

  it("matches non-string values by equality, not by their text", () => {
    const numbers = constrained('allowed_parameters = { "n" = [1, true] }');
    expect(allows(numbers, "update", "p", { n: 1 })).toBe(true);
    expect(allows(numbers, "update", "p", { n: true })).toBe(true);
    expect(allows(numbers, "update", "p", { n: "1" })).toBe(false);
    expect(allows(numbers, "update", "p", { n: 2 })).toBe(false);
  });
});

describe("denied_parameters", () => {
  it("denies a listed parameter with a listed value, and allows other values", () => {
    const evaluator = constrained('denied_parameters = { "role" = ["admin*"] }');
    expect(allows(evaluator, "update", "p", { role: "administrator" })).toBe(false);
    expect(allows(evaluator, "update", "p", { role: "reader" })).toBe(true);
  });

  it("denies any value when the list is empty", () => {
    const evaluator = constrained('denied_parameters = { "role" = [] }');
    expect(allows(evaluator, "update", "p", { role: "reader" })).toBe(false);
    expect(allows(evaluator, "update", "p", { other: 1 })).toBe(true);
  });

  it('denies any data at all with a "*" key', () => {
    const evaluator = constrained('denied_parameters = { "*" = [] }');
    expect(allows(evaluator, "update", "p", { harmless: 1 })).toBe(false);
    expect(allows(evaluator, "update", "p")).toBe(true);
  });

  it("compares parameter names case-insensitively", () => {
    const evaluator = constrained('denied_parameters = { "Role" = [] }');
    expect(allows(evaluator, "update", "p", { ROLE: "x" })).toBe(false);
  });

  it("denies a list or comma-separated value when any part is denied", () => {
    const evaluator = constrained('denied_parameters = { "roles" = ["admin"] }');
    expect(allows(evaluator, "update", "p", { roles: ["reader", "admin"] })).toBe(false);
    expect(allows(evaluator, "update", "p", { roles: "reader, admin" })).toBe(false);
    expect(allows(evaluator, "update", "p", { roles: "reader" })).toBe(true);
  });

  it("wins over allowed_parameters for the same parameter", () => {
    const evaluator = constrained('allowed_parameters = { "role" = [] }\n denied_parameters = { "role" = ["admin"] }');
    expect(allows(evaluator, "update", "p", { role: "admin" })).toBe(false);
    expect(allows(evaluator, "update", "p", { role: "reader" })).toBe(true);
  });
});

describe("required_parameters", () => {
  const evaluator = constrained('required_parameters = ["ttl"]');

  it("denies a request without the parameter, even one without data", () => {
    expect(allows(evaluator, "update", "p", { other: 1 })).toBe(false);
    expect(allows(evaluator, "update", "p")).toBe(false);
  });

  it("allows a request with the parameter", () => {
    expect(allows(evaluator, "update", "p", { ttl: "1h" })).toBe(true);
  });

  it("is checked before denied and allowed parameters", () => {
    const both = constrained('required_parameters = ["ttl"]\n allowed_parameters = { "*" = [] }');
    expect(allows(both, "update", "p", { name: "x" })).toBe(false);
  });

  it("looks up the lower-cased name, so data keys must be lower-case (as Vault)", () => {
    const upper = constrained('required_parameters = ["TTL"]');
    expect(allows(upper, "update", "p", { ttl: "1h" })).toBe(true);
    expect(allows(upper, "update", "p", { TTL: "1h" })).toBe(false);
  });
});

describe("which operations are checked", () => {
  const evaluator = constrained('denied_parameters = { "*" = [] }\n required_parameters = ["x"]');

  it.each(["create", "read", "update", "patch"] as const)("checks the data of %s", (operation) => {
    expect(allows(evaluator, operation, "p", { x: 1 })).toBe(false);
  });

  it.each(["delete", "list"] as const)("does not check the data of %s", (operation) => {
    expect(allows(evaluator, operation, "p", { x: 1 })).toBe(true);
    expect(allows(evaluator, operation, "p")).toBe(true);
  });
});

describe("policy names in policies and token_policies (issue 20, item 8)", () => {
  // Policy names are stored trimmed and lower-cased, so the constraint compares what will be stored.
  const denied = constrained('denied_parameters = { "policies" = ["admin"], "token_policies" = ["admin"] }');

  it.each([["ADMIN"], [" Admin "], ["x,ADMIN"], ["x , ADMIN "], [["ADMIN"]], [["x", " admin "]]])(
    "denies %j where the denied name is admin",
    (value) => {
      expect(allows(denied, "update", "p", { policies: value })).toBe(false);
      expect(allows(denied, "update", "p", { token_policies: value })).toBe(false);
      expect(allows(denied, "update", "p", { POLICIES: value })).toBe(false); // names are case-insensitive too
    },
  );

  it("still allows the other names, and leaves every other parameter's values as written", () => {
    expect(allows(denied, "update", "p", { policies: "Apps, DEFAULT" })).toBe(true);
    const roles = constrained('denied_parameters = { "role" = ["admin"] }');
    expect(allows(roles, "update", "p", { role: "ADMIN" })).toBe(true);
  });

  it("lets an allowed list match names however they are written, and no name outside it", () => {
    const allowed = constrained('allowed_parameters = { "policies" = ["apps", "default"] }');
    expect(allows(allowed, "update", "p", { policies: "APPS" })).toBe(true);
    expect(allows(allowed, "update", "p", { policies: " Apps , DEFAULT" })).toBe(true);
    expect(allows(allowed, "update", "p", { policies: ["APPS", "Default "] })).toBe(true);
    expect(allows(allowed, "update", "p", { policies: "apps,ADMIN" })).toBe(false);
    expect(allows(allowed, "update", "p", { policies: ["apps", "Admin"] })).toBe(false);
  });

  it("reads the policy's own list as policy names: Admin in the list is admin, globs included", () => {
    const upper = constrained('denied_parameters = { "policies" = ["Admin", "OPS-*"] }');
    expect(allows(upper, "update", "p", { policies: "admin" })).toBe(false);
    expect(allows(upper, "update", "p", { policies: ["ops-east"] })).toBe(false);
    expect(allows(upper, "update", "p", { policies: "apps" })).toBe(true);
  });
});
