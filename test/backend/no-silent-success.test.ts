import { describe, expect, it } from "vitest";
import { NotFoundError, UnsupportedPathError } from "../../src/index.js";
import { useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture();

const UNSERVED = ["sys/remountz", "sys/seal", "sys/mountz/database", "database/reloadz/postgresql-database-plugin", "database/rolez/readonly", "auth/token/rolez/app"];

describe("a path no backend serves", () => {
  it("is a 404 naming the full path for writes, deletes and patches, not a success that did nothing", async () => {
    const { engine, root, rootToken } = await seed();
    for (const path of UNSERVED) {
      await expect(root.write(path, { anything: 1 })).rejects.toThrow(UnsupportedPathError);
      await expect(root.delete(path)).rejects.toMatchObject({ code: "unsupported_path", status: 404, message: `unsupported path: ${JSON.stringify(path)}` });
      await expect(engine.request({ token: rootToken, operation: "patch", path, data: {} })).rejects.toThrow(NotFoundError);
      await expect(root.read(path)).rejects.toThrow(NotFoundError);
    }
  });

  it("still denies a caller without rights before telling whether the path is served", async () => {
    const { engine, root } = await seed();
    const { auth } = await root.write("auth/token/create", { policies: ["default"] });
    const app = engine.client(auth!.client_token);
    await expect(app.write("sys/remount", {})).rejects.toMatchObject({ status: 403 });
  });
});

describe("a parameter the endpoint does not know", () => {
  it("is named in the response's warnings, with Vault's wording, and the known ones are applied", async () => {
    const { root } = await seed();
    const response = await root.write("database/roles/readonly", { db_name: "fake", creation_statements: ["SELECT 1"], default_tl: "1h", colour: "red" });
    expect(response.warnings).toEqual(["Endpoint ignored these unrecognized parameters: [colour default_tl]"]);
    const role = await root.read("database/roles/readonly");
    expect(role.data?.creation_statements).toEqual(["SELECT 1"]);
  });

  it("leaves warnings null when every field is known", async () => {
    const { root } = await seed();
    const response = await root.write("sys/policies/acl/p", { policy: 'path "x" { capabilities = ["read"] }' });
    expect(response.warnings).toBeNull();
  });
});
