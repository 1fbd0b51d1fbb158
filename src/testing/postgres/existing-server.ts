/**
 * Strategy 1: an existing server (`PG_URL`). Nothing is started or stopped; the URL is checked up
 * front so a bad one fails fast.
 *
 * @module
 */
import { withClient } from "./databases.js";
import { describeError } from "./server-settings.js";
import type { PostgresServer } from "./start-postgres.js";

/** The server at `url`, once a `SELECT 1` there works. */
export async function useExistingServer(url: string): Promise<PostgresServer> {
  const u = new URL(url);
  try {
    await withClient(url, (c) => c.query("SELECT 1"));
  } catch (err) {
    throw new Error(`PG_URL is set but the server at ${u.hostname}:${u.port || 5432} is not usable: ${describeError(err)}`, { cause: err });
  }
  return {
    url,
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    kind: "env",
    stop: async () => {},
  };
}
