import { describe, expect, it } from "vitest";
import { requiresSudo } from "../../src/system/sudo-paths.js";
import type { Operation } from "../../src/request.js";

describe("requiresSudo (Vault's root paths)", () => {
  const cases: Array<[string, Operation, boolean]> = [
    ["sys/leases/revoke-prefix/database/creds", "update", true],
    ["sys/revoke-prefix/database", "update", true],
    ["sys/leases/revoke-force/database", "update", true],
    ["sys/leases/revoke", "update", false],
    ["sys/leases/revoke-prefixes", "update", false],
    ["sys/leases/lookup/database/creds", "list", true],
    ["sys/leases/lookup/database/creds", "read", false],
    ["sys/leases", "list", true],
    ["sys/leases", "read", false],
    ["sys/audit", "read", true],
    ["sys/audit/file", "update", true],
    ["sys/audit-hash/file", "update", true],
    ["sys/auditing", "read", false],
    ["sys/rotate", "update", true],
    ["sys/mounts/database", "update", false],
    ["sys/policy/apps", "update", false],
    ["auth/token/accessors", "list", true],
    ["auth/token/revoke-orphan", "update", true],
    ["auth/token/create", "update", false],
    ["database/creds/readonly", "read", false],
    ["secret/sys/audit", "read", false],
  ];
  it.each(cases)("%s (%s) → %s", (path, operation, expected) => {
    expect(requiresSudo(path, operation)).toBe(expected);
  });
});
