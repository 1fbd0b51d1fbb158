import { describe, expect, it } from "vitest";
import { PathRouter, type PathRoute } from "../../src/backend/path-router.js";
import { UnsupportedOperationError } from "../../src/errors.js";
import type { BackendRequest } from "../../src/backend/backend.js";

/** A route whose read handler answers with its own pattern and the parameters it matched. */
function route(pattern: string, extra: Partial<PathRoute> = {}): PathRoute {
  return { pattern, read: async (_request, params) => ({ data: { pattern, ...params } }), ...extra };
}

const read = (path: string) => ({ operation: "read", path }) as BackendRequest;

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

  it("matches nothing for a path no pattern fits", async () => {
    expect(await router.handle(read("unknown/path"))).toBeNull();
    expect(await router.handle(read("mountsx"))).toBeNull();
    expect(await router.handle(read("creds/a/b"))).toBeNull();
    expect(router.match("")).toBeUndefined();
  });

  it("refuses an operation the route lacks, and asks the route whether a path exists", async () => {
    const withExists = new PathRouter([route("roles/:name", { exists: async ({ name }) => name === "readonly" })]);
    await expect(withExists.handle({ operation: "delete", path: "roles/readonly" } as BackendRequest)).rejects.toThrow(UnsupportedOperationError);
    expect(await withExists.exists("roles/readonly")).toBe(true);
    expect(await withExists.exists("roles/other")).toBe(false);
    expect(await withExists.exists("nothing/here")).toBe(true);
  });
});
