/**
 * PostgresStorage's own connections have a bound (issue 20, item 5): a server that accepts and
 * never answers fails a storage operation with a `StorageError` instead of leaving it, and the
 * engine's every request behind it, pending forever. No database needed: the server is silent.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidRequestError, PostgresStorage, StorageError } from "../../src/index.js";
import { SilentServer } from "../support/silent-server.js";

/** pg's timer is wall-clock: what a 1 s bound may take here. */
const BOUNDED_MS = 4_000;
/** Short enough that an unbounded attempt fails the test instead of passing slowly. */
const TEST_TIMEOUT_MS = 8_000;

let silent: SilentServer;
let storage: PostgresStorage | undefined;

beforeEach(async () => {
  silent = await SilentServer.start();
});

afterEach(async () => {
  await storage?.close();
  storage = undefined;
  await silent.close();
});

describe("PostgresStorage's connection attempts", () => {
  it.each([
    ["connect_timeout in the connection string", (port: number) => ({ connectionString: `postgresql://vaultlet@127.0.0.1:${port}/app?connect_timeout=1` })],
    ["the connectionTimeoutMillis option", (port: number) => ({ connectionString: `postgresql://vaultlet@127.0.0.1:${port}/app`, connectionTimeoutMillis: 500 })],
  ])("end after %s with a StorageError", async (_what, options) => {
    storage = new PostgresStorage(options(silent.port));
    const started = performance.now();
    await expect(storage.get("core/anything")).rejects.toBeInstanceOf(StorageError);
    expect(performance.now() - started).toBeLessThan(BOUNDED_MS);
    expect(silent.accepted).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);

  it.each([
    ["connectionTimeoutMillis: 0", { connectionString: "postgresql://127.0.0.1/app", connectionTimeoutMillis: 0 }, /connectionTimeoutMillis/],
    ["a negative connectionTimeoutMillis", { connectionString: "postgresql://127.0.0.1/app", connectionTimeoutMillis: -1 }, /connectionTimeoutMillis/],
    ["connectionTimeoutMillis past a timer's range", { connectionString: "postgresql://127.0.0.1/app", connectionTimeoutMillis: 2 ** 31 }, /connectionTimeoutMillis/],
    ["connect_timeout=0 in the connection string", { connectionString: "postgresql://127.0.0.1/app?connect_timeout=0" }, /connect_timeout/],
    ["connectionTimeoutMillis with a host's pool", { pool: { query: async () => ({ rows: [], rowCount: 0 }) }, connectionTimeoutMillis: 500 }, /connectionTimeoutMillis/],
  ])("refuses %s when constructed", (_what, options, message) => {
    expect(() => new PostgresStorage(options as never)).toThrow(InvalidRequestError);
    expect(() => new PostgresStorage(options as never)).toThrow(message);
  });
});
