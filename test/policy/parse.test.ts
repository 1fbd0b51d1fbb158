/**
 * parsePolicy: Vault's policy HCL and its JSON form, and the errors for bad policy text (each
 * naming the policy, the line and the problem).
 */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../src/errors.js";
import { MAX_HCL_DEPTH } from "../../src/hcl/parser.js";
import { parsePasswordPolicy } from "../../src/passwords/password-policy-parse.js";
import { parsePolicy } from "../../src/policy/policy-api.js";
import { errorMessageOf } from "./helpers.js";

describe("HCL policies", () => {
  it("reads path blocks with capabilities, keeping the text as raw", () => {
    const text = 'path "database/creds/readonly" {\n  capabilities = ["read"]\n}\n';
    expect(parsePolicy("apps", text)).toEqual({
      name: "apps",
      raw: text,
      rules: [{ pattern: "database/creds/readonly", capabilities: ["read"] }],
    });
  });

  it("reads several blocks, also on one line", () => {
    const policy = parsePolicy("p", 'path "a" { capabilities = ["read"] } path "b" { capabilities = ["list"] }');
    expect(policy.rules.map((rule) => [rule.pattern, rule.capabilities])).toEqual([
      ["a", ["read"]],
      ["b", ["list"]],
    ]);
  });

  it("skips #, // and /* */ comments, keeping line numbers right", () => {
    const text = [
      "# a comment",
      "// another",
      "/* a block",
      "   comment */ path \"a\" { # trailing",
      "  capabilities = [\"read\", /* inline */ \"list\",] // trailing comma is fine",
      "}",
      "path \"b\" { capabilities = [\"raed\"] }",
    ].join("\n");
    expect(errorMessageOf(() => parsePolicy("p", text))).toBe('policy "p": line 7: unknown capability "raed"');
    expect(parsePolicy("p", text.split("\n").slice(0, 6).join("\n")).rules).toEqual([{ pattern: "a", capabilities: ["read", "list"] }]);
  });

  it("accepts every capability and de-duplicates them in the order written", () => {
    const policy = parsePolicy(
      "p",
      'path "a" { capabilities = ["sudo", "create", "read", "update", "patch", "delete", "list", "subscribe", "recover", "read"] }',
    );
    expect(policy.rules[0]?.capabilities).toEqual(["sudo", "create", "read", "update", "patch", "delete", "list", "subscribe", "recover"]);
  });

  it("reduces a block that denies to exactly deny", () => {
    expect(parsePolicy("p", 'path "a" { capabilities = ["read", "deny", "list"] }').rules[0]?.capabilities).toEqual(["deny"]);
  });

  it("reads subscribe_event_types, which Vault accepts beside the subscribe capability", () => {
    const policy = parsePolicy("events", 'path "sys/events/subscribe/*" {\n  capabilities = ["read", "subscribe"]\n  subscribe_event_types = ["kv*", "database/*"]\n}');
    expect(policy.rules[0]).toMatchObject({ capabilities: ["read", "subscribe"], subscribeEventTypes: ["kv*", "database/*"] });
    expect(() => parsePolicy("bad", 'path "a" { subscribe_event_types = "kv*" }')).toThrow(/subscribe_event_types must be a list/);
  });

  it("reads parameters, wrapping TTLs and comment", () => {
    const text = `path "database/creds/+" {
      comment = "short-lived creds"
      capabilities = ["read"]
      allowed_parameters = {
        "TTL" = ["1h", "2h*"]
        "name" = []
      }
      denied_parameters = { "admin" = [true, 1] }
      required_parameters = ["ttl"]
      min_wrapping_ttl = "1m"
      max_wrapping_ttl = 7200
    }`;
    expect(parsePolicy("p", text).rules[0]).toEqual({
      pattern: "database/creds/+",
      comment: "short-lived creds",
      capabilities: ["read"],
      allowedParameters: { ttl: ["1h", "2h*"], name: [] },
      deniedParameters: { admin: [true, 1] },
      requiredParameters: ["ttl"],
      minWrappingTtl: 60,
      maxWrappingTtl: 7200,
    });
  });

  it("accepts block syntax for parameter maps", () => {
    const policy = parsePolicy("p", 'path "a" {\n capabilities = ["update"]\n allowed_parameters {\n  "x" = []\n }\n}');
    expect(policy.rules[0]?.allowedParameters).toEqual({ x: [] });
  });

  it("strips one leading slash from patterns", () => {
    expect(parsePolicy("p", 'path "/secret/*" { capabilities = ["read"] }').rules[0]?.pattern).toBe("secret/*");
  });

  it("accepts a top-level name, which is ignored", () => {
    expect(parsePolicy("real", 'name = "other"\npath "a" { capabilities = ["read"] }').name).toBe("real");
  });

  it("accepts an empty policy", () => {
    expect(parsePolicy("p", "  # nothing here\n").rules).toEqual([]);
  });

  it("decodes escapes in strings", () => {
    expect(parsePolicy("p", 'path "a\\"b\\u0041" { capabilities = ["read"] }').rules[0]?.pattern).toBe('a"bA');
  });
});

describe("the legacy policy shorthand", () => {
  it.each([
    ["deny", ["deny"]],
    ["read", ["read", "list"]],
    ["write", ["create", "read", "update", "delete", "list"]],
    ["sudo", ["create", "read", "update", "delete", "list", "sudo"]],
  ])('maps policy = "%s" to Vault\'s capabilities', (shorthand, capabilities) => {
    expect(parsePolicy("p", `path "a" { policy = "${shorthand}" }`).rules[0]?.capabilities).toEqual(capabilities);
  });

  it("adds to capabilities written beside it", () => {
    expect(parsePolicy("p", 'path "a" {\n capabilities = ["patch"]\n policy = "read"\n}').rules[0]?.capabilities).toEqual(["patch", "read", "list"]);
  });

  it("lets a deny shorthand override written capabilities", () => {
    expect(parsePolicy("p", 'path "a" {\n capabilities = ["read"]\n policy = "deny"\n}').rules[0]?.capabilities).toEqual(["deny"]);
  });
});

describe("JSON policies", () => {
  it("reads the object form", () => {
    const policy = parsePolicy("p", '{"path": {"secret/*": {"capabilities": ["read", "list"]}, "kv/+": {"policy": "write"}}}');
    expect(policy.rules).toEqual([
      { pattern: "secret/*", capabilities: ["read", "list"] },
      { pattern: "kv/+", capabilities: ["create", "read", "update", "delete", "list"] },
    ]);
  });

  it("reads a list of path objects", () => {
    const policy = parsePolicy("p", '{"path": [{"a": {"capabilities": ["read"]}}, {"b": {"capabilities": ["list"]}}]}');
    expect(policy.rules.map((rule) => rule.pattern)).toEqual(["a", "b"]);
  });

  it("reads a list of bodies for one pattern as separate rules", () => {
    const policy = parsePolicy("p", '{"path": {"a": [{"capabilities": ["read"]}, {"capabilities": ["list"]}]}}');
    expect(policy.rules).toEqual([
      { pattern: "a", capabilities: ["read"] },
      { pattern: "a", capabilities: ["list"] },
    ]);
  });

  it("reads parameters and durations", () => {
    const policy = parsePolicy(
      "p",
      JSON.stringify({ path: { a: { capabilities: ["update"], allowed_parameters: { x: ["1", 2] }, max_wrapping_ttl: "1h" } } }),
    );
    expect(policy.rules[0]).toEqual({ pattern: "a", capabilities: ["update"], allowedParameters: { x: ["1", 2] }, maxWrappingTtl: 3600 });
  });

  it("names the line of a problem in multi-line JSON", () => {
    const text = JSON.stringify({ path: { a: { capabilities: ["read"] }, b: { capabilities: ["lst"] } } }, null, 2);
    expect(errorMessageOf(() => parsePolicy("p", text))).toBe(`policy "p": line ${lineOf(text, '"lst"')}: unknown capability "lst"`);
  });
});

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split("\n").length;
}

describe("bad policy text", () => {
  it.each([
    ["an unknown capability", 'path "a" {\n  capabilities = [\n    "read",\n    "raed"\n  ]\n}', 'line 4: unknown capability "raed"'],
    [
      "an unknown key in a path block",
      'path "a" {\n  capabilities = ["read"]\n  capabilties = ["list"]\n}',
      'line 3: unknown key "capabilties" in path "a"; a path block takes comment, policy, capabilities, allowed_parameters, denied_parameters, required_parameters, subscribe_event_types, min_wrapping_ttl, max_wrapping_ttl',
    ],
    ["an unknown top-level key", 'path "a" { }\n\npaths "b" { }', 'line 3: unknown key "paths"; a policy holds only path "<pattern>" { … } blocks'],
    ["an unterminated string", 'path "a" {\n  capabilities = ["read]\n}', "line 2: unterminated string: a closing '\"' is missing"],
    ["an unterminated block", 'path "a" {\n  capabilities = ["read"]\n\npath "b" {\n}', 'line 1: unterminated block: "{" is never closed by "}"'],
    ["an unterminated list", 'path "a" {\n  capabilities = ["read",\n', 'line 2: unterminated list: "[" is never closed by "]"'],
    ["an unterminated comment", 'path "a" { }\n/* never\nclosed', 'line 2: unterminated comment: "/*" is never closed by "*/"'],
    ["capabilities that are not a list", 'path "a" {\n  capabilities = "read"\n}', "line 2: capabilities must be a list, found a string"],
    ["a capability that is not a string", 'path "a" { capabilities = [read] }', 'line 1: expected a value, found "read"; quote strings'],
    ["an invalid legacy policy", 'path "a" {\n  policy = "admin"\n}', 'line 2: invalid policy "admin"; use "deny", "read", "write" or "sudo", or capabilities = [...]'],
    ["a bad duration", 'path "a" {\n  min_wrapping_ttl = "soon"\n}', 'line 2: min_wrapping_ttl: "soon" is not a duration; use seconds (3600) or a string such as "1h", "30m" or "1h30m"'],
    ["a wrapping TTL of the wrong type", 'path "a" {\n  max_wrapping_ttl = ["1h"]\n}', 'line 2: max_wrapping_ttl must be a duration such as "1h" or a number of seconds, found a list'],
    ["max_wrapping_ttl below min_wrapping_ttl", 'path "a" {\n  min_wrapping_ttl = "1h"\n  max_wrapping_ttl = "1m"\n}', "line 1: max_wrapping_ttl cannot be less than min_wrapping_ttl"],
    ["a +* wildcard", '\npath "a/+*" { }', 'line 2: path "a/+*": invalid use of wildcards ("+*" is forbidden)'],
    ["a non-tail wildcard parameter key", 'path "a" {\n  allowed_parameters = {\n    "x*" = []\n  }\n}', 'line 3: allowed_parameters: parameter key "x*" cannot contain non-tail wildcards'],
    ["a wildcard required parameter", 'path "a" {\n  required_parameters = ["*"]\n}', 'line 2: required_parameters: parameter key "*": wildcard is not permitted here'],
    ["parameter values that are not a list", 'path "a" {\n  denied_parameters = { "x" = "y" }\n}', 'line 2: denied_parameters: "x" must be a list, found a string'],
    ["a duplicate parameter", 'path "a" {\n  allowed_parameters = {\n    "x" = []\n    "X" = []\n  }\n}', 'line 4: allowed_parameters: duplicate parameter "X" (names are case-insensitive)'],
    ["a duplicate key", 'path "a" {\n  capabilities = ["read"]\n  capabilities = ["list"]\n}', 'line 3: duplicate key "capabilities" in path "a"'],
    ["a Vault Enterprise key", 'path "a" {\n  mfa_methods = ["totp"]\n}', 'line 2: "mfa_methods" in path "a" is a Vault Enterprise feature that vaultlet does not support'],
    [
      "Vault Enterprise's control groups",
      'path "a" {\n  capabilities = ["read"]\n  control_group = {\n    max_ttl = "4h"\n  }\n}',
      'line 3: "control_group" in path "a" is a Vault Enterprise feature that vaultlet does not support',
    ],
    ["a path with two patterns", 'path "a" "b" { }', 'line 1: path takes one pattern, found 2: path "<pattern>" { … }'],
    ["a path without a block", 'path "a" = { }', 'line 1: expected "{" after "path", found "="'],
    ["an unexpected character", 'path "a" {\n  capabilities = ["read"];\n}', 'line 2: unexpected character ";"'],
    ["a heredoc", 'path "a" {\n  comment = <<EOF\nx\nEOF\n}', "line 2: heredoc strings (<<EOF) are not supported in policies; use a quoted string"],
    ["an invalid escape", 'path "a\\q" { }', 'line 1: invalid escape sequence "\\\\q" in string'],
    ["a JSON path that is not an object", '{"path": "a"}', 'line 1: path must be an object of "<pattern>": { … } entries, found a string'],
    ["text after a JSON document", '{"path": {}}\n{}', 'line 2: unexpected "{" after the end of the policy'],
    ["a missing list separator", 'path "a" {\n  capabilities = ["read" "list"]\n}', 'line 2: expected "," or "]" in list, found the string "list"'],
  ])("reports %s with its line", (_, text, problem) => {
    expect(errorMessageOf(() => parsePolicy("apps", text))).toBe(`policy "apps": ${problem}`);
  });

  it("throws InvalidRequestError (status 400)", () => {
    let caught: unknown;
    try {
      parsePolicy("apps", 'path "a" { capabilities = ["raed"] }');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect((caught as InvalidRequestError).status).toBe(400);
  });
});

describe("nesting in policy text", () => {
  const deepList = (levels: number) => `path "a" { capabilities = ${"[".repeat(levels)}${"]".repeat(levels)} }`;
  const deepJson = (levels: number) => `{"path": {"a": ${'{"x": '.repeat(levels)}1${"}".repeat(levels)}}}`;

  it(`refuses braces and brackets nested past ${MAX_HCL_DEPTH} levels with InvalidRequestError, HCL and JSON alike`, () => {
    for (const text of [deepList(MAX_HCL_DEPTH), deepJson(MAX_HCL_DEPTH), deepList(100_000), deepJson(100_000)]) {
      expect(() => parsePolicy("deep", text)).toThrow(InvalidRequestError);
    }
    expect(errorMessageOf(() => parsePolicy("deep", deepList(100_000)))).toBe(`policy "deep": line 1: nesting deeper than ${MAX_HCL_DEPTH} levels`);
  });

  it(`parses text nested exactly ${MAX_HCL_DEPTH} levels (the parser's refusal is the depth, not the shape)`, () => {
    // 1 for path's block, 1 for "a"'s block, then lists: the last "[" sits at depth 32.
    expect(errorMessageOf(() => parsePolicy("deep", deepList(MAX_HCL_DEPTH - 2)))).not.toMatch(/nesting/);
  });

  it("refuses a deeply nested password policy with InvalidRequestError", () => {
    expect(() => parsePasswordPolicy("deep", `length = 20 rule "charset" { charset = ${"[".repeat(100_000)} }`)).toThrow(InvalidRequestError);
  });
});
