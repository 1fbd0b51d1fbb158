import { describe, expect, it } from "vitest";
import { RootPaths, rootPathsOf } from "../../src/backend/root-paths.js";
import type { Backend } from "../../src/backend/backend.js";
import { SYSTEM_ROOT_PATHS } from "../../src/system/system-backend.js";
import { TOKEN_ROOT_PATHS } from "../../src/auth/token/token-backend.js";
import type { Operation } from "../../src/request.js";

/** The root paths as the pipeline checks them: the list of the mount the path falls under. */
const MOUNTS: Array<[string, RootPaths]> = [
  ["sys/", new RootPaths(SYSTEM_ROOT_PATHS)],
  ["auth/token/", new RootPaths(TOKEN_ROOT_PATHS)],
];

function requiresSudo(path: string, operation: Operation): boolean {
  const mount = MOUNTS.find(([prefix]) => path.startsWith(prefix));
  return mount !== undefined && mount[1].requiresSudo(path.slice(mount[0].length), operation);
}

describe("backends' root paths (Vault's PathsSpecial.Root)", () => {
  const cases: Array<[string, Operation, boolean]> = [
    ["sys/leases/revoke-prefix/database/creds", "update", true],
    ["sys/revoke-prefix/database", "update", true],
    ["sys/leases/revoke-force/database", "update", true],
    ["sys/leases/revoke", "update", false],
    ["sys/leases/revoke-prefixes", "update", false],
    ["sys/leases/lookup/database/creds", "list", true],
    ["sys/leases/lookup/database/creds", "read", false],
    ["sys/leases", "list", true],
    ["sys/leases", "read", true], // Vault's root path "leases": the irrevocable-lease list needs sudo
    ["sys/remount", "update", true],
    ["sys/remount/status/abc", "read", false],
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

  it("match a trailing * as a prefix and other paths exactly", () => {
    const paths = new RootPaths([{ path: "keys/*" }, { path: "rotate" }, { path: "a.b", operations: ["delete"] }]);
    expect(paths.requiresSudo("keys/x/y", "read")).toBe(true);
    expect(paths.requiresSudo("keys", "read")).toBe(false);
    expect(paths.requiresSudo("rotate", "update")).toBe(true);
    expect(paths.requiresSudo("rotate/now", "update")).toBe(false);
    expect(paths.requiresSudo("a.b", "delete")).toBe(true);
    expect(paths.requiresSudo("aXb", "delete")).toBe(false); // "." is literal
    expect(paths.requiresSudo("a.b", "read")).toBe(false);
  });

  it("are compiled once per backend, and a backend without them has no check", () => {
    const handle = async () => null;
    const plain: Backend = { handle };
    const declaring: Backend = { handle, rootPaths: [{ path: "admin" }] };
    expect(rootPathsOf(plain)).toBeUndefined();
    expect(rootPathsOf({ handle, rootPaths: [] })).toBeUndefined();
    expect(rootPathsOf(declaring)).toBe(rootPathsOf(declaring));
    expect(rootPathsOf(declaring)!.requiresSudo("admin", "read")).toBe(true);
  });
});
