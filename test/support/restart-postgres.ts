/**
 * A real stop and start of a PostgreSQL server on this machine (an embedded one from
 * `startPostgres({ kind: "embedded" })`): the postmaster is told to shut down fast (SIGINT) and
 * later started again from its own `postmaster.opts`, on the same data directory and port, as the
 * OS user that owns the data. For outage tests; the harness's `stop()` still removes everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";

/** Stops and starts one server for real. */
export interface RestartablePostgres {
  /** Fast shutdown; resolves once the postmaster has exited (connections are then refused). */
  stop(): Promise<void>;
  /** Starts it again; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops a server this started, so the harness's `stop()` finds it down (call before it). */
  release(): Promise<void>;
}

/**
 * @param superuserUrl - the server's superuser URL (it must run on this machine, as embedded servers do)
 */
export async function restartable(superuserUrl: string): Promise<RestartablePostgres> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  const dataDir = (await client.query("SHOW data_directory")).rows[0].data_directory as string;
  await client.end();
  const [binary, ...args] = parseOpts(await readFile(join(dataDir, "postmaster.opts"), "utf8"));
  const owner = await stat(dataDir);
  let child: ChildProcess | undefined;

  const postmasterPid = async (): Promise<number | undefined> => {
    const text = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
    const pid = Number(text?.split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
  const stop = async () => {
    const pid = await postmasterPid();
    if (pid === undefined) return;
    process.kill(pid, "SIGINT");
    await until(() => !alive(pid), 30_000, "postgres to shut down");
  };
  return {
    stop,
    async start() {
      child = spawn(binary!, args, { uid: owner.uid, gid: owner.gid, stdio: "ignore" });
      child.on("error", () => undefined);
      await until(async () => accepts(superuserUrl), 60_000, "postgres to accept connections again");
    },
    async release() {
      if (child && child.exitCode === null && child.signalCode === null) await stop();
    },
  };
}

/** `postmaster.opts`: the binary, then each argument in double quotes. */
function parseOpts(text: string): string[] {
  const [binary, ...rest] = text.trim().split(/\s+(?=")/);
  return [binary!, ...rest.map((arg) => arg.replace(/^"|"$/g, ""))];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Polls `condition` (real time: the server's own pace, not a TTL) until it holds. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
