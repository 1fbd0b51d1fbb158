/**
 * A vitest `globalSetup` that starts one PostgreSQL server for the whole run (see
 * `start-postgres.ts` for how it is chosen), provides its superuser URL to test files as
 * `inject("pgUrl")` (and its kind as `inject("pgKind")`), and stops it at teardown. Then
 * `useTestDatabase()` gives each file its own database on that one server.
 *
 * @module
 */
import { startPostgres, type StartPostgresOptions } from "./start-postgres.js";

/**
 * The slice of vitest's `TestProject` the setup uses (declared here, so vaultlet's declarations
 * do not need vitest's). It provides `pgUrl` (the superuser URL) and `pgKind`; to type
 * `inject("pgUrl")` in your own files, declare them in vitest's `ProvidedContext`.
 */
export interface GlobalSetupProject {
  /** The project's name, for the start-up line. */
  readonly name: string;
  /** The project's resolved config; `env.VAULTLET_PG_VERSION` pins a PostgreSQL major. */
  readonly config: { readonly env?: Readonly<Record<string, unknown>> };
  /** vitest's `project.provide`. */
  provide(key: "pgUrl" | "pgKind", value: string): void;
}

/**
 * Starts the run's server for `project`; resolves to the teardown that stops it. A project may
 * pin a PostgreSQL major with `env: { VAULTLET_PG_VERSION }` in its vitest config.
 *
 * @example
 * ```ts
 * // test/pg-setup.ts, named in vitest.config.ts: test.globalSetup: ["test/pg-setup.ts"]
 * export { postgresGlobalSetup as default } from "vaultlet/testing/postgres";
 * ```
 */
export async function postgresGlobalSetup(project: GlobalSetupProject, options: StartPostgresOptions = {}): Promise<() => Promise<void>> {
  const started = performance.now();
  const version = project.config.env?.VAULTLET_PG_VERSION as string | undefined;
  const server = await startPostgres(version && options.version === undefined ? { ...options, version: Number(version) } : options);
  project.provide("pgUrl", server.url);
  project.provide("pgKind", server.kind);
  if (process.env.VAULTLET_PG_QUIET !== "1") {
    const ms = Math.round(performance.now() - started);
    console.log(
      `[vaultlet] ${project.name}: PostgreSQL ${version ?? process.env.VAULTLET_PG_VERSION ?? "(default major)"} (${server.kind}) at ${server.host}:${server.port}, ready in ${ms} ms`,
    );
  }
  return () => server.stop();
}
