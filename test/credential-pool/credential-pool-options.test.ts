import pg from "pg";
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

describe("openCredentialPool's connection attempts (issue 20, item 5)", () => {
  /** A `Client` (pg.Pool's option, passed through) that records the config each connection is made with. */
  function recordingClient(seen: unknown[]) {
    return class RecordingClient extends pg.Client {
      constructor(config: pg.ClientConfig) {
        seen.push(config.connectionTimeoutMillis);
        super(config);
      }
    };
  }

  it.each([
    ["none given: 10 s, so a server that never answers cannot hold a checkout forever", {}, 10_000],
    ["the host's own", { connectionTimeoutMillis: 2_500 }, 2_500],
    ["0 given: the host's opt-out (pg's wait forever) is kept", { connectionTimeoutMillis: 0 }, 0],
  ])("bounds each attempt: %s", async (_what, options, expected) => {
    const fx = await seed();
    const seen: unknown[] = [];
    // Nothing listens on port 1: the attempt is refused at once, after the client was made.
    const pool = await openCredentialPool(fx.root, { path: "database/creds/readonly", connection: { host: "127.0.0.1", port: 1 }, Client: recordingClient(seen), ...options });
    await expect(pool.query("SELECT 1")).rejects.toThrow();
    await pool.end();
    expect(seen).toEqual([expected]);
  });
});
