import { describe, expect, it } from "vitest";
import { PathRouter, type PathRoute } from "../../src/backend/path-router.js";
import { UnsupportedOperationError, UnsupportedPathError } from "../../src/errors.js";
import type { BackendRequest } from "../../src/backend/backend.js";

/** A route whose read handler answers with its own pattern and the parameters it matched. */
function route(pattern: string, extra: Partial<PathRoute> = {}): PathRoute {
  return { pattern, fields: [], read: async (_request, params) => ({ data: { pattern, ...params } }), ...extra };
}

const read = (path: string, data: Record<string, unknown> = {}) => ({ operation: "read", path, data }) as BackendRequest;

describe("PathRouter", () => {
  const router = new PathRouter([
    route("mounts"),
    route("mounts/*path/tune"),
    route("mounts/*path"),
    route("leases/revoke/*id"),
    route(":first/shadowed"),
    route("leases/shadowed"),
    route("creds/:name"),
    route(":anything/last"),
  ]);
  const winner = async (path: string) => (await router.handle(read(path)))?.data;

  it("finds the first route in table order that matches, with its parameters", async () => {
    expect(await winner("mounts")).toEqual({ pattern: "mounts" });
    expect(await winner("mounts/database/tune")).toEqual({ pattern: "mounts/*path/tune", path: "database" });
    expect(await winner("mounts/a/b")).toEqual({ pattern: "mounts/*path", path: "a/b" });
    expect(await winner("leases/revoke/database/creds/x/ab12")).toEqual({ pattern: "leases/revoke/*id", id: "database/creds/x/ab12" });
    expect(await winner("leases/revoke")).toEqual({ pattern: "leases/revoke/*id", id: "" });
    expect(await winner("creds/readonly")).toEqual({ pattern: "creds/:name", name: "readonly" });
  });

  it("keeps table order between routes starting with a parameter and literal ones", async () => {
    expect(await winner("leases/shadowed")).toEqual({ pattern: ":first/shadowed", first: "leases" });
    expect(await winner("creds/last")).toEqual({ pattern: "creds/:name", name: "last" });
    expect(await winner("other/last")).toEqual({ pattern: ":anything/last", anything: "other" });
  });

  it("refuses a path no pattern fits as unsupported, for every operation", async () => {
    for (const path of ["unknown/path", "mountsx", "creds/a/b"]) {
      await expect(router.handle(read(path))).rejects.toThrow(UnsupportedPathError);
    }
    for (const operation of ["create", "update", "delete", "patch"] as const) {
      await expect(router.handle({ operation, path: "remount", data: {} } as unknown as BackendRequest)).rejects.toMatchObject({
        code: "unsupported_path",
        status: 404,
      });
    }
    expect(router.match("")).toBeUndefined();
  });

  it("names the fields a route does not know in Vault's warning, and keeps the handler's warnings", async () => {
    const declared = new PathRouter([
      route("roles/:name", {
        fields: ["db_name"],
        write: async () => ({ warnings: ["capped"] }),
        delete: async () => null,
      }),
    ]);
    const write = { operation: "update", path: "roles/r", data: { db_name: "pg", name: "r", zeta: 1, alpha: 2 } } as unknown as BackendRequest;
    expect((await declared.handle(write))?.warnings).toEqual(["capped", "Endpoint ignored these unrecognized parameters: [alpha zeta]"]);
    const remove = { operation: "delete", path: "roles/r", data: { typo: true } } as unknown as BackendRequest;
    expect((await declared.handle(remove))?.warnings).toEqual(["Endpoint ignored these unrecognized parameters: [typo]"]);
    expect(await declared.handle({ ...write, data: { db_name: "pg" } })).toEqual({ warnings: ["capped"] });
  });

  it("refuses an operation the route lacks, and asks the route whether a path exists", async () => {
    const withExists = new PathRouter([route("roles/:name", { exists: async ({ name }) => name === "readonly" })]);
    await expect(withExists.handle({ operation: "delete", path: "roles/readonly" } as BackendRequest)).rejects.toThrow(UnsupportedOperationError);
    expect(await withExists.exists("roles/readonly")).toBe(true);
    expect(await withExists.exists("roles/other")).toBe(false);
    expect(await withExists.exists("nothing/here")).toBe(true);
  });
});
