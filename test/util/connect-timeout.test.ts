/** The bound on connection attempts: libpq's `connect_timeout`, and the `Client` that applies one. */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../src/errors.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, connectTimeoutMs, withConnectTimeout } from "../../src/util/connect-timeout.js";

describe("connectTimeoutMs", () => {
  it("reads libpq's seconds, defaulting to 10 s", () => {
    expect(connectTimeoutMs(undefined, "f")).toBe(DEFAULT_CONNECT_TIMEOUT_MS);
    expect(connectTimeoutMs(null, "f")).toBe(10_000);
    expect(connectTimeoutMs("3", "f")).toBe(3_000);
    expect(connectTimeoutMs("300", "f")).toBe(300_000);
  });

  it.each(["0", "-1", "301", "1.5", "", "ten", "1e3"])("refuses %j, naming the key and not the value", (text) => {
    expect(() => connectTimeoutMs(text, "connection_url")).toThrow(InvalidRequestError);
    expect(() => connectTimeoutMs(text, "connection_url")).toThrow(/^connection_url: connect_timeout must be an integer from 1 to 300/);
  });
});

describe("withConnectTimeout", () => {
  it("gives each client the bound and keeps the rest of its config, a hidden password included", () => {
    const seen: Record<string, unknown>[] = [];
    class Recording {
      constructor(config?: Record<string, unknown>) {
        seen.push(config!);
      }
    }
    const Timed = withConnectTimeout(Recording, 1_500);
    // pg-pool hands its options over with `password` non-enumerable.
    const options = Object.defineProperty({ host: "db", connectionTimeoutMillis: 10_000 }, "password", { value: "pw", enumerable: false });
    const client = new Timed(options as never);
    expect(client).toBeInstanceOf(Recording);
    expect(seen[0]).toMatchObject({ host: "db", connectionTimeoutMillis: 1_500, password: "pw" });
    expect(options.connectionTimeoutMillis).toBe(10_000);
  });
});
