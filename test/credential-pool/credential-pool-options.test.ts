import { describe, expect, it } from "vitest";
import { InvalidRequestError, openCredentialPool, type CredentialPoolOptions } from "../../src/index.js";
import { useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture();

describe("openCredentialPool's options", () => {
  it.each([
    ["a user", { connection: { host: "h", user: "me" } }],
    ["a password", { connection: { host: "h" }, password: "pw" }],
    ["a connection string with credentials", { connection: { connectionString: "postgresql://me:pw@h/db" } }],
    ["no connection", {}],
  ])("refuses %s before reading any credentials", async (_what, options) => {
    const fx = await seed();
    await expect(openCredentialPool(fx.root, { ...(options as unknown as CredentialPoolOptions), path: "database/creds/readonly" })).rejects.toBeInstanceOf(InvalidRequestError);
    expect(fx.db.users.size).toBe(0);
  });
});
