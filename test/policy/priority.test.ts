/**
 * Which rule wins when several match a path: exact rules first, then Vault's five priority rules
 * for prefix (`*`) and segment-wildcard (`+`) patterns. Each test grants a different capability per
 * rule, so the reported capabilities say which rule won.
 */
import { describe, expect, it } from "vitest";
import { evaluatorFor } from "./helpers.js";

/** A policy where each pattern grants its own capability. */
function rules(entries: Record<string, string>): string {
  return Object.entries(entries)
    .map(([pattern, capability]) => `path "${pattern}" { capabilities = ["${capability}"] }`)
    .join("\n");
}

describe("exact rules", () => {
  it("an exact rule beats every glob and wildcard rule that also matches", () => {
    const evaluator = evaluatorFor(rules({ "secret/app": "read", "secret/*": "update", "secret/+": "delete", "secret/ap*": "create" }));
    expect(evaluator.capabilities("secret/app")).toEqual(["read"]);
  });

  it("an exact rule matches only its own path", () => {
    const evaluator = evaluatorFor(rules({ "secret/app": "read" }));
    expect(evaluator.capabilities("secret/app/x")).toEqual(["deny"]);
    expect(evaluator.capabilities("secret/ap")).toEqual(["deny"]);
  });

  it("a leading slash in a pattern or a request path is ignored", () => {
    const evaluator = evaluatorFor(rules({ "/secret/app": "read" }));
    expect(evaluator.evaluate({ path: "//secret/app", operation: "read" }).allowed).toBe(true);
  });
});

describe("prefix (*) and segment (+) patterns", () => {
  it("a trailing * matches any continuation, within a segment too", () => {
    const evaluator = evaluatorFor(rules({ "secret/ap*": "read" }));
    expect(evaluator.capabilities("secret/apple")).toEqual(["read"]);
    expect(evaluator.capabilities("secret/app/deep/path")).toEqual(["read"]);
    expect(evaluator.capabilities("secret/ap")).toEqual(["read"]);
    expect(evaluator.capabilities("secret/a")).toEqual(["deny"]);
  });

  it("a * that is not at the end is a literal character", () => {
    const evaluator = evaluatorFor(rules({ "secret/*/config": "read" }));
    expect(evaluator.capabilities("secret/*/config")).toEqual(["read"]);
    expect(evaluator.capabilities("secret/app/config")).toEqual(["deny"]);
  });

  it("+ matches exactly one segment, never zero or two", () => {
    const evaluator = evaluatorFor(rules({ "secret/+/config": "read" }));
    expect(evaluator.capabilities("secret/app/config")).toEqual(["read"]);
    expect(evaluator.capabilities("secret/config")).toEqual(["deny"]);
    expect(evaluator.capabilities("secret/a/b/config")).toEqual(["deny"]);
  });

  it("+ and * combine: + for one segment, * for any continuation", () => {
    const evaluator = evaluatorFor(rules({ "secret/+/app/*": "read", "+/config": "update" }));
    expect(evaluator.capabilities("secret/team/app/db/password")).toEqual(["read"]);
    expect(evaluator.capabilities("secret/team/other/db")).toEqual(["deny"]);
    expect(evaluator.capabilities("anything/config")).toEqual(["update"]);
    expect(evaluator.capabilities("a/b/config")).toEqual(["deny"]);
  });

  it("a segment that merely contains + is literal", () => {
    const evaluator = evaluatorFor(rules({ "secret/+b": "read" }));
    expect(evaluator.capabilities("secret/+b")).toEqual(["read"]);
    expect(evaluator.capabilities("secret/ab")).toEqual(["deny"]);
  });

  it("the bare * pattern matches every path", () => {
    const evaluator = evaluatorFor(rules({ "*": "read" }));
    expect(evaluator.capabilities("")).toEqual(["read"]);
    expect(evaluator.capabilities("sys/mounts/x")).toEqual(["read"]);
  });
});

describe("Vault's priority order between matching non-exact patterns", () => {
  it("rule 1: the pattern whose first wildcard comes later wins", () => {
    const evaluator = evaluatorFor(rules({ "secret/+/x": "read", "secret/a/+": "update", "secret/*": "delete" }));
    expect(evaluator.capabilities("secret/a/x")).toEqual(["update"]);
  });

  it("rule 1: a longer prefix beats a shorter one, and a prefix beats an earlier +", () => {
    const evaluator = evaluatorFor(rules({ "secret/*": "read", "secret/app/*": "update", "+/app/db": "delete" }));
    expect(evaluator.capabilities("secret/app/db")).toEqual(["update"]);
    expect(evaluator.capabilities("secret/other")).toEqual(["read"]);
  });

  it("rule 2: at the same first-wildcard position, a pattern not ending in * beats one that does", () => {
    const evaluator = evaluatorFor(rules({ "foo/+/ba*": "read", "foo/+/bar": "update", "foo/*": "delete", "foo/+": "create" }));
    expect(evaluator.capabilities("foo/x/bar")).toEqual(["update"]);
    expect(evaluator.capabilities("foo/x")).toEqual(["create"]);
  });

  it("rule 3: then the pattern with fewer + segments wins", () => {
    const evaluator = evaluatorFor(rules({ "a/+/+/c": "read", "a/+/b/c": "update" }));
    expect(evaluator.capabilities("a/x/b/c")).toEqual(["update"]);
  });

  it("rule 4: then the longer pattern wins", () => {
    const evaluator = evaluatorFor(rules({ "foo/+/bar/b*": "read", "foo/+/bar/ba*": "update" }));
    expect(evaluator.capabilities("foo/x/bar/baz")).toEqual(["update"]);
  });

  it("rule 5: then the lexicographically greater pattern wins", () => {
    // Same first wildcard (0), neither a prefix, two + each, same length: only rule 5 separates them.
    const evaluator = evaluatorFor(rules({ "+/x/+": "read", "+/+/y": "update" }));
    expect(evaluator.capabilities("a/x/y")).toEqual(["read"]);
  });

  it("measures offsets and lengths in UTF-8 bytes, as Vault does", () => {
    // "+/éé/+" is 6 UTF-16 units but 8 bytes; "+/+/abc" is 7 of each. Rules 1–3 tie, rule 4 decides.
    const evaluator = evaluatorFor(rules({ "+/éé/+": "read", "+/+/abc": "update" }));
    expect(evaluator.capabilities("éé/éé/abc")).toEqual(["read"]);
  });

  it("exactly one rule decides: a matching lower-priority rule adds nothing", () => {
    const evaluator = evaluatorFor(rules({ "secret/*": "read", "secret/app/*": "update" }));
    expect(evaluator.evaluate({ path: "secret/app/x", operation: "read" })).toEqual({
      allowed: false,
      sudo: false,
      capabilities: ["update"],
    });
  });

  it("a winning rule without capabilities denies even when a lower-priority rule grants", () => {
    const evaluator = evaluatorFor('path "secret/*" { capabilities = ["read"] }\npath "secret/app/*" { }');
    expect(evaluator.evaluate({ path: "secret/app/x", operation: "read" }).allowed).toBe(false);
    expect(evaluator.capabilities("secret/app/x")).toEqual(["deny"]);
  });
});
