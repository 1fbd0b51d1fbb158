/**
 * PolicyEvaluator behaviour beyond rule priority: merging across policies, list and the trailing
 * slash, wrapping TTLs, sudo, the root and default policies, and the capabilities endpoint.
 */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../src/errors.js";
import {
  DEFAULT_POLICY,
  DEFAULT_POLICY_TEXT,
  PolicyEvaluator,
  ROOT_POLICY,
  parsePolicy,
  type PolicyOperation,
} from "../../src/policy/policy-api.js";
import { allows, evaluatorFor } from "./helpers.js";

describe("merging the same pattern across policies", () => {
  it("unites the capabilities each policy grants", () => {
    const evaluator = evaluatorFor(
      'path "secret/app" { capabilities = ["read"] }',
      'path "secret/app" { capabilities = ["update", "sudo"] }',
    );
    expect(evaluator.capabilities("secret/app")).toEqual(["sudo", "read", "update"]);
  });

  it("lets deny in any policy win, whichever comes first", () => {
    const grant = 'path "secret/*" { capabilities = ["read", "list"] }';
    const deny = 'path "secret/*" { capabilities = ["deny"] }';
    for (const evaluator of [evaluatorFor(grant, deny), evaluatorFor(deny, grant)]) {
      expect(evaluator.evaluate({ path: "secret/x", operation: "read" })).toEqual({ allowed: false, sudo: false, capabilities: ["deny"] });
    }
  });

  it("merges two blocks for the same pattern in one policy", () => {
    const evaluator = evaluatorFor('path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["list"] }');
    expect(evaluator.capabilities("a")).toEqual(["read", "list"]);
  });

  it("does not merge a pattern with its * form: they are different rules", () => {
    const evaluator = evaluatorFor('path "secret/app" { capabilities = ["deny"] }', 'path "secret/app*" { capabilities = ["read"] }');
    expect(evaluator.capabilities("secret/app")).toEqual(["deny"]);
    expect(evaluator.capabilities("secret/apple")).toEqual(["read"]);
  });

  it("unites required parameters and keeps the smaller wrapping TTL bounds", () => {
    const evaluator = evaluatorFor(
      'path "a" {\n capabilities = ["update"]\n required_parameters = ["x"]\n max_wrapping_ttl = "1h"\n}',
      'path "a" {\n capabilities = ["update"]\n required_parameters = ["y"]\n max_wrapping_ttl = "10m"\n}',
    );
    const request = { path: "a", operation: "update" as const, data: { x: 1, y: 2 } };
    expect(evaluator.evaluate({ ...request, wrapTtl: 600 }).allowed).toBe(true);
    expect(evaluator.evaluate({ ...request, wrapTtl: 601 }).allowed).toBe(false);
    expect(evaluator.evaluate({ ...request, wrapTtl: 600, data: { x: 1 } }).allowed).toBe(false);
  });

  it("concatenates allowed values per parameter, and an empty list (any value) on either side wins", () => {
    const evaluator = evaluatorFor(
      'path "a" {\n capabilities = ["update"]\n allowed_parameters = { "color" = ["red"], "size" = [] }\n}',
      'path "a" {\n capabilities = ["update"]\n allowed_parameters = { "color" = ["blue"], "size" = ["s"] }\n}',
    );
    expect(allows(evaluator, "update", "a", { color: "red" })).toBe(true);
    expect(allows(evaluator, "update", "a", { color: "blue" })).toBe(true);
    expect(allows(evaluator, "update", "a", { color: "green" })).toBe(false);
    expect(allows(evaluator, "update", "a", { size: "xl" })).toBe(true);
  });

  it("keeps one policy's parameter constraints even when another grants the same pattern without any (as Vault)", () => {
    const evaluator = evaluatorFor(
      'path "a" { capabilities = ["update"] }',
      'path "a" {\n capabilities = ["update"]\n allowed_parameters = { "x" = ["1"] }\n}',
    );
    expect(allows(evaluator, "update", "a", { x: "1" })).toBe(true);
    expect(allows(evaluator, "update", "a", { x: "2" })).toBe(false);
  });
});

describe("list and the trailing slash", () => {
  it("adds the trailing slash Vault's HTTP layer adds to every list, so a rule for foo/ matches a list of foo", () => {
    const evaluator = evaluatorFor('path "secret/app/" { capabilities = ["list"] }');
    expect(allows(evaluator, "list", "secret/app")).toBe(true);
    expect(allows(evaluator, "list", "secret/app/")).toBe(true);
    expect(allows(evaluator, "read", "secret/app")).toBe(false);
  });

  it("lets an exact rule for foo match a list of foo/", () => {
    const evaluator = evaluatorFor('path "secret/app" { capabilities = ["list"] }');
    expect(allows(evaluator, "list", "secret/app/")).toBe(true);
    expect(allows(evaluator, "list", "secret/app")).toBe(true);
  });

  it("lets foo/* match a list of foo", () => {
    const evaluator = evaluatorFor('path "secret/app/*" { capabilities = ["list"] }');
    expect(allows(evaluator, "list", "secret/app")).toBe(true);
    expect(allows(evaluator, "read", "secret/app")).toBe(false);
  });

  it("lets the most specific pattern for the slashed path win, as Vault does since its LIST deny fix", () => {
    const evaluator = evaluatorFor('path "secret/*" { capabilities = ["deny"] }\npath "secret/app/*" { capabilities = ["list", "read"] }');
    expect(allows(evaluator, "list", "secret/app")).toBe(true);
    expect(allows(evaluator, "list", "secret/app/")).toBe(true);
    expect(allows(evaluator, "list", "secret/other")).toBe(false);
    expect(allows(evaluator, "read", "secret/app/x")).toBe(true);
  });
});

describe("Vault's LIST deny fix (GHSA-xp3c-3jw3-4vcr)", () => {
  const advisory = 'path "secrets/metadata/*" { capabilities = ["list"] }\npath "secrets/metadata/restricted/*" { capabilities = ["deny"] }';

  it("denies listing a folder whose contents are denied, even where a broader glob grants list", () => {
    const evaluator = evaluatorFor(advisory);
    expect(allows(evaluator, "list", "secrets/metadata/restricted/")).toBe(false);
    expect(allows(evaluator, "list", "secrets/metadata/restricted")).toBe(false);
    expect(evaluator.capabilities("secrets/metadata/restricted/")).toEqual(["deny"]);
  });

  it("still grants the neighbours: the parent, siblings, and a name that only starts like the denied folder", () => {
    const evaluator = evaluatorFor(advisory);
    expect(allows(evaluator, "list", "secrets/metadata/")).toBe(true);
    expect(allows(evaluator, "list", "secrets/metadata/public/")).toBe(true);
    expect(allows(evaluator, "list", "secrets/metadata/restricted-not/")).toBe(true);
    expect(allows(evaluator, "list", "secrets/metadata/restricted/deeper/")).toBe(false);
  });

  it("holds across policies, and with + segments", () => {
    expect(allows(evaluatorFor('path "foo/*" { capabilities = ["list"] }', 'path "foo/private/*" { capabilities = ["deny"] }'), "list", "foo/private/")).toBe(false);
    const segments = evaluatorFor('path "kv/+/*" { capabilities = ["list"] }\npath "kv/+/private/*" { capabilities = ["deny"] }');
    expect(allows(segments, "list", "kv/team/private/")).toBe(false);
    expect(allows(segments, "list", "kv/team/")).toBe(true);
  });

  it("falls back to the path without its slash only when nothing matches the slashed one", () => {
    // secret/+ matches "secret/app" but not "secret/app/": the fallback keeps it granting the list.
    const evaluator = evaluatorFor('path "secret/+" { capabilities = ["list"] }');
    expect(allows(evaluator, "list", "secret/app")).toBe(true);
    expect(allows(evaluator, "list", "secret/app/")).toBe(true);
  });

  it("prefers an exact rule for foo/ over one for foo", () => {
    const evaluator = evaluatorFor('path "a/" { capabilities = ["list"] }\npath "a" { capabilities = ["deny"] }');
    expect(allows(evaluator, "list", "a")).toBe(true);
    expect(allows(evaluator, "read", "a")).toBe(false);
  });

  it("capabilities() looks a path up as a list, but adds no slash", () => {
    const evaluator = evaluatorFor('path "secret/app/" { capabilities = ["list"] }\npath "kv" { capabilities = ["read"] }');
    expect(evaluator.capabilities("secret/app")).toEqual(["deny"]);
    expect(evaluator.capabilities("secret/app/")).toEqual(["list"]);
    expect(evaluator.capabilities("kv/")).toEqual(["read"]);
  });
});

describe("operations", () => {
  const evaluator = evaluatorFor(
    'path "all" { capabilities = ["create", "read", "update", "patch", "delete", "list", "subscribe", "recover"] }\npath "none" { capabilities = ["sudo"] }',
  );
  const operations: PolicyOperation[] = ["read", "create", "update", "delete", "list", "patch", "subscribe", "recover"];

  it.each(operations)("%s needs the capability of the same name", (operation) => {
    expect(allows(evaluator, operation, "all")).toBe(true);
    expect(allows(evaluator, operation, "none")).toBe(false);
    const only = evaluatorFor(`path "p" { capabilities = ["${operation}"] }`);
    const others = operations.filter((other) => other !== operation);
    expect(others.filter((other) => allows(only, other, "p"))).toEqual([]);
  });

  it("rejects an unknown operation with InvalidRequestError", () => {
    expect(() => evaluator.evaluate({ path: "all", operation: "write" as PolicyOperation })).toThrow(InvalidRequestError);
  });

  it("denies everything when nothing matches", () => {
    expect(evaluator.evaluate({ path: "elsewhere", operation: "read" })).toEqual({ allowed: false, sudo: false, capabilities: ["deny"] });
  });

  it("denies everything with no policies at all", () => {
    expect(new PolicyEvaluator([]).evaluate({ path: "a", operation: "read" }).allowed).toBe(false);
  });
});

describe("sudo", () => {
  it("is reported from the winning rule even when the request is denied", () => {
    const evaluator = evaluatorFor('path "sys/raw/*" { capabilities = ["sudo", "read"] }');
    expect(evaluator.evaluate({ path: "sys/raw/x", operation: "delete" })).toEqual({
      allowed: false,
      sudo: true,
      capabilities: ["sudo", "read"],
    });
  });

  it("is not reported when the winning rule lacks it, whatever other rules grant", () => {
    const evaluator = evaluatorFor('path "sys/*" { capabilities = ["sudo", "read"] }\npath "sys/raw" { capabilities = ["read"] }');
    expect(evaluator.evaluate({ path: "sys/raw", operation: "read" }).sudo).toBe(false);
  });
});

describe("wrapping TTL bounds", () => {
  const evaluator = evaluatorFor('path "a" {\n capabilities = ["read"]\n min_wrapping_ttl = "1m"\n max_wrapping_ttl = 3600\n}');

  it("require the request to be wrapped", () => {
    expect(evaluator.evaluate({ path: "a", operation: "read" }).allowed).toBe(false);
  });

  it("allow a wrapping TTL within the bounds, inclusive", () => {
    expect(evaluator.evaluate({ path: "a", operation: "read", wrapTtl: 60 }).allowed).toBe(true);
    expect(evaluator.evaluate({ path: "a", operation: "read", wrapTtl: 3600 }).allowed).toBe(true);
  });

  it("deny a wrapping TTL outside the bounds", () => {
    expect(evaluator.evaluate({ path: "a", operation: "read", wrapTtl: 59 }).allowed).toBe(false);
    expect(evaluator.evaluate({ path: "a", operation: "read", wrapTtl: 3601 }).allowed).toBe(false);
  });
});

describe("the root policy", () => {
  const root = new PolicyEvaluator([ROOT_POLICY]);

  it("allows every operation on every path, with sudo", () => {
    expect(root.evaluate({ path: "sys/raw/anything", operation: "delete" })).toEqual({ allowed: true, sudo: true, capabilities: ["root"] });
    expect(root.evaluate({ path: "x", operation: "update", data: { anything: 1 } }).allowed).toBe(true);
  });

  it('reports ["root"] from capabilities()', () => {
    expect(root.capabilities("database/creds/readonly")).toEqual(["root"]);
  });

  it("cannot be combined with any other policy", () => {
    expect(() => new PolicyEvaluator([ROOT_POLICY, DEFAULT_POLICY])).toThrow(InvalidRequestError);
    expect(() => new PolicyEvaluator([DEFAULT_POLICY, ROOT_POLICY])).toThrow(/root policy cannot be combined/);
  });

  it("cannot be redefined by parsing a policy named root", () => {
    expect(() => parsePolicy("root", 'path "*" { capabilities = ["read"] }')).toThrow(InvalidRequestError);
    expect(() => parsePolicy(" Root ", "")).toThrow(/built in/);
  });

  it("cannot be changed in place", () => {
    expect(() => ROOT_POLICY.rules.push({ pattern: "x", capabilities: ["read"] })).toThrow(TypeError);
  });
});

describe("the default policy", () => {
  const evaluator = new PolicyEvaluator([DEFAULT_POLICY]);

  it.each([
    ["read", "auth/token/lookup-self"],
    ["update", "auth/token/renew-self"],
    ["update", "auth/token/revoke-self"],
    ["update", "sys/capabilities-self"],
    ["update", "sys/leases/lookup"],
    ["update", "sys/leases/renew"],
    ["update", "sys/renew"],
  ] as const)("allows %s on %s", (operation, path) => {
    expect(allows(evaluator, operation, path)).toBe(true);
  });

  it("allows nothing else", () => {
    expect(allows(evaluator, "read", "database/creds/readonly")).toBe(false);
    expect(allows(evaluator, "update", "auth/token/create")).toBe(false);
    expect(allows(evaluator, "delete", "auth/token/lookup-self")).toBe(false);
    expect(allows(evaluator, "update", "sys/leases/revoke")).toBe(false);
  });

  it("is the parse of DEFAULT_POLICY_TEXT, named default", () => {
    expect(DEFAULT_POLICY).toEqual(parsePolicy("default", DEFAULT_POLICY_TEXT));
    expect(DEFAULT_POLICY.name).toBe("default");
  });

  it("combines with other policies", () => {
    const combined = new PolicyEvaluator([DEFAULT_POLICY, parsePolicy("apps", 'path "database/creds/readonly" { capabilities = ["read"] }')]);
    expect(allows(combined, "read", "database/creds/readonly")).toBe(true);
    expect(allows(combined, "read", "auth/token/lookup-self")).toBe(true);
  });
});

describe("PolicyEvaluator.refusal: why a request is denied", () => {
  const evaluator = evaluatorFor(
    'path "open/*" { capabilities = ["read", "update"] }\npath "shut/*" { capabilities = ["deny"] }\npath "seen/*" { capabilities = ["list"] }',
    'path "open/limited" {\n capabilities = ["update"]\n allowed_parameters = { ttl = ["1h"] }\n min_wrapping_ttl = "1m"\n}\npath "open/merged-deny" { capabilities = ["deny"] }',
  );

  it("is undefined for an allowed request, and for the root policy", () => {
    expect(evaluator.refusal({ path: "open/x", operation: "read" })).toBeUndefined();
    expect(evaluator.refusal({ path: "open/limited", operation: "update", data: { ttl: "1h" }, wrapTtl: 60 })).toBeUndefined();
    expect(new PolicyEvaluator([ROOT_POLICY]).refusal({ path: "anything", operation: "delete" })).toBeUndefined();
  });

  it('is "deny" for an explicit deny, merged from any policy', () => {
    expect(evaluator.refusal({ path: "shut/x", operation: "update" })).toBe("deny");
    expect(evaluator.refusal({ path: "open/merged-deny", operation: "read" })).toBe("deny");
  });

  it('is "constraint" when the winning rule grants the operation but refuses the data or the wrapping TTL', () => {
    expect(evaluator.refusal({ path: "open/limited", operation: "update", data: { ttl: "9h" }, wrapTtl: 60 })).toBe("constraint");
    expect(evaluator.refusal({ path: "open/limited", operation: "update", data: { ttl: "1h" } })).toBe("constraint");
  });

  it('is "not-granted" when nothing matches, or the winning rule grants something else', () => {
    expect(evaluator.refusal({ path: "elsewhere", operation: "read" })).toBe("not-granted");
    expect(evaluator.refusal({ path: "seen/x", operation: "update" })).toBe("not-granted");
    expect(evaluator.refusal({ path: "open/limited", operation: "read" })).toBe("not-granted");
  });

  it("agrees with evaluate on whether the request is allowed", () => {
    for (const request of [
      { path: "open/x", operation: "read" as const },
      { path: "shut/x", operation: "read" as const },
      { path: "seen/", operation: "list" as const },
      { path: "shut/", operation: "list" as const },
      { path: "open/limited", operation: "update" as const, data: { ttl: "2h" } },
    ]) {
      expect(evaluator.refusal(request) === undefined).toBe(evaluator.evaluate(request).allowed);
    }
  });
});
