/**
 * One {@link FileStorage} directory held by this process: a lock file that keeps other processes
 * out, and the record log shared by every `FileStorage` instance of this process on the directory
 * (two logs appending to one file would overwrite each other's frames).
 *
 * The lock is `<path>/lock` holding the owner's pid. A lock whose process no longer runs (it was
 * killed) is taken over; a live one makes opening fail with a `StorageError`. Pids are compared on
 * this machine only: two containers sharing a volume can each see pid 1 — give each its own
 * directory.
 *
 * @module
 */
import { mkdir, open, readFile, rename, rm, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { StorageError } from "../../errors.js";
import { RecordLog } from "./record-log.js";
import { FileReadCache } from "./read-cache.js";
import { makePrivate, PRIVATE_FILE, PRIVATE_FOLDER } from "./private-mode.js";

const LOCK_FILE = "lock";

interface Holding {
  users: number;
  ready: Promise<void>;
  log?: Promise<RecordLog>;
  cache: FileReadCache;
}

/** Directories this process holds, by resolved path. */
const held = new Map<string, Holding>();

/** A use of a directory by one `FileStorage`; {@link StorageDirectory.release} it once. */
export class StorageDirectory {
  readonly #root: string;
  /** The directory's read cache, shared like the log by every instance of this process. */
  readonly cache: FileReadCache;
  #released = false;

  private constructor(root: string, cache: FileReadCache) {
    this.#root = root;
    this.cache = cache;
  }

  /**
   * Takes the directory for this process (creating it, clearing temporary files a crash left) or
   * joins this process's existing hold.
   *
   * @throws StorageError when another live process holds it
   */
  static async acquire(root: string, prepare: () => Promise<void>): Promise<StorageDirectory> {
    const key = resolve(root);
    let holding = held.get(key);
    if (!holding) {
      holding = { users: 0, ready: lockDirectory(key).then(prepare), cache: new FileReadCache() };
      held.set(key, holding);
      holding.ready.catch(() => held.delete(key));
    }
    holding.users++;
    try {
      await holding.ready;
    } catch (err) {
      holding.users--;
      throw err;
    }
    return new StorageDirectory(key, holding.cache);
  }

  /** The directory's record log, opened once per process. */
  log(file: string): Promise<RecordLog> {
    const holding = held.get(this.#root)!;
    holding.log ??= RecordLog.open(join(this.#root, file)).catch((err: unknown) => {
      holding.log = undefined;
      throw err;
    });
    return holding.log;
  }

  /** Ends this use; the last one closes the log and removes the lock. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const holding = held.get(this.#root);
    if (!holding || --holding.users > 0) return;
    held.delete(this.#root);
    await (await holding.log?.catch(() => undefined))?.close();
    await unlink(join(this.#root, LOCK_FILE)).catch(() => undefined);
  }
}

async function lockDirectory(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: PRIVATE_FOLDER });
  await privateRoot(root);
  const lock = join(root, LOCK_FILE);
  try {
    const handle = await open(lock, "wx", PRIVATE_FILE);
    await handle.writeFile(String(process.pid));
    await handle.close();
    return;
  } catch (err) {
    if ((err as { code?: unknown }).code !== "EEXIST") throw err;
  }
  const owner = Number((await readFile(lock, "utf8").catch(() => "")).trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
    throw new StorageError(`the storage directory is in use by process ${owner}: one process per FileStorage directory`);
  }
  // The owner died (kill -9, power loss): take the lock over, atomically, and check we won.
  const temp = join(root, `lock.${randomBytes(6).toString("hex")}`);
  await rm(temp, { force: true });
  const handle = await open(temp, "wx", PRIVATE_FILE);
  await handle.writeFile(String(process.pid));
  await handle.close();
  await rename(temp, lock);
  if (Number((await readFile(lock, "utf8")).trim()) !== process.pid) {
    throw new StorageError("the storage directory was taken by another process while this one opened it");
  }
}

/**
 * Makes an existing, looser directory private rather than refusing it, so a directory an earlier
 * version made 0755 is closed on upgrade with no step for the host: with the root at 0700, nothing
 * under it is reachable by another user, whatever the inner modes.
 *
 * @throws StorageError when the mode cannot be changed (the directory belongs to another user)
 */
async function privateRoot(root: string): Promise<void> {
  try {
    await makePrivate(root, PRIVATE_FOLDER);
  } catch (err) {
    throw new StorageError(
      `the storage directory is open to other users and could not be made private (${String((err as { code?: unknown }).code ?? "error")}): ` +
        "give it to the engine's user with mode 0700, or use another path",
      { cause: err },
    );
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === "EPERM"; // exists, owned by another user
  }
}
