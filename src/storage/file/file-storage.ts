/**
 * @module
 */
import { mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { InvalidRequestError, StorageError, VaultletError } from "../../errors.js";
import { decodeSegment, encodeSegment, FILE_SUFFIX, FOLDER_SUFFIX } from "./file-names.js";
import type { RecordLog } from "./record-log.js";
import { StorageDirectory } from "./storage-directory.js";
import { syncFolder } from "./sync-folder.js";
import { makePrivate, PRIVATE_FILE, PRIVATE_FOLDER } from "./private-mode.js";
import type { BatchWrite, Storage } from "../storage.js";
import { sameBytes } from "../atomic-update.js";
import { KeyedMutex } from "../../util/keyed-mutex.js";

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** The directory that holds the records; created if missing. Give each engine its own. */
  path: string;
  /**
   * Key prefixes kept in one append-only record log (`<path>/packed.log`) instead of one file per
   * key (default `["sys/expire/"]`: the lease records). A million leases are then one file that
   * restores in seconds; `[]` keeps every key in its own file.
   */
  packedPrefixes?: string[];
}

const DATA_DIR = "data";
const TEMP_DIR = "tmp";
const LOG_FILE = "packed.log";
/** Writes per directory and key, shared by every instance in this process (see `compareAndSwap`). */
const keyLocks = new KeyedMutex();

/**
 * Storage in a directory: one file per key, for a single engine process on one machine.
 *
 * Each `/`-separated key segment becomes a folder and the last one a file, with names encoded so
 * that any key is a safe, case-insensitive-file-system-safe name (see `file-names.ts`). A `put`
 * writes a temporary file, fsyncs it, renames it over the record and fsyncs the folder, so a
 * `kill -9` or power loss at any moment leaves either the old record or the new one — never a torn
 * one. Temporary files left by a crash are removed when the storage is first used.
 *
 * @example
 * ```ts
 * const encryptionKey = Buffer.from(process.env.VAULTLET_KEY!, "base64"); // 32 bytes, kept outside storage
 * const engine = await Engine.open({ storage: new FileStorage({ path: "/var/lib/myapp/vaultlet" }), encryptionKey });
 * ```
 */
export class FileStorage implements Storage {
  readonly #root: string;
  readonly #data: string;
  readonly #temp: string;
  readonly #packed: string[];
  #ready: Promise<StorageDirectory> | undefined;

  /** @param options - where the records live */
  constructor(options: FileStorageOptions) {
    if (!options || typeof options.path !== "string" || options.path.length === 0) {
      throw new InvalidRequestError("FileStorage needs a directory: new FileStorage({ path })");
    }
    this.#root = options.path;
    this.#data = join(this.#root, DATA_DIR);
    this.#temp = join(this.#root, TEMP_DIR);
    this.#packed = options.packedPrefixes ?? ["sys/expire/"];
  }

  /** @inheritdoc */
  async get(key: string): Promise<Uint8Array | undefined> {
    const { cache } = await this.#prepare();
    if (this.#isPacked(key)) {
      const log = await this.#openLog();
      return log.get(key).catch((err: unknown) => {
        throw new StorageError(`reading a record failed: ${codeOf(err)}`, { cause: err });
      });
    }
    const cached = cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const ticket = cache.begin(key);
    let value: Uint8Array | undefined;
    try {
      value = new Uint8Array(await readFile(this.#fileOf(key)));
    } catch (err) {
      if (!isMissing(err)) throw new StorageError(`reading a record failed: ${codeOf(err)}`, { cause: err });
    }
    cache.fill(ticket, value);
    return value;
  }

  /** @inheritdoc */
  async put(key: string, value: Uint8Array): Promise<void> {
    await this.#prepare();
    await this.#locked(key, () => this.#write(key, value));
  }

  /**
   * Atomic against every write of this process to the directory (all instances share one lock per
   * key); the directory's lock keeps other processes out altogether.
   *
   * The contract is {@link Storage.compareAndSwap}.
   */
  async compareAndSwap(key: string, expected: Uint8Array | undefined, next: Uint8Array | undefined): Promise<boolean> {
    await this.#prepare();
    return this.#locked(key, async () => {
      if (!sameBytes(await this.get(key), expected)) return false;
      await (next === undefined ? this.#remove(key) : this.#write(key, next));
      return true;
    });
  }

  /**
   * Records of the record log (`packedPrefixes`) are written with one append and one fsync,
   * holding every key's lock; a crash keeps a prefix of them (the log cuts a torn tail). Other
   * keys are written one by one, in order.
   *
   * The contract is {@link Storage.batch}.
   */
  async batch(writes: readonly BatchWrite[]): Promise<void> {
    await this.#prepare();
    if (!writes.every(({ key }) => this.#isPacked(key))) {
      for (const { key, value } of writes) await (value === undefined ? this.delete(key) : this.put(key, value));
      return;
    }
    const keys = [...new Set(writes.map(({ key }) => key))].sort();
    const run = async (index: number): Promise<void> => {
      if (index < keys.length) return this.#locked(keys[index]!, () => run(index + 1));
      await this.#logged((log) => log.writeInOrder(writes.map(({ key, value }) => [key, value] as const)), "writing records");
    };
    await run(0);
  }

  #locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    return keyLocks.run(`${resolve(this.#root)}\0${key}`, work);
  }

  async #write(key: string, value: Uint8Array): Promise<void> {
    if (this.#isPacked(key)) return this.#logged((log) => log.put(key, value), "writing a record");
    const target = this.#fileOf(key);
    const folder = this.#folderOf(key);
    const temp = join(this.#temp, `${randomBytes(12).toString("hex")}.t`);
    const { cache } = await this.#prepare();
    try {
      await this.#ensureFolder(folder);
      await writeDurably(temp, value);
      await rename(temp, target);
      await syncFolder(folder);
    } catch (err) {
      cache.forget(key); // the rename may or may not have happened
      await rm(temp, { force: true }).catch(() => undefined);
      throw new StorageError(`writing a record failed: ${codeOf(err)}`, { cause: err });
    }
    cache.written(key, value);
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    await this.#prepare();
    await this.#locked(key, () => this.#remove(key));
  }

  async #remove(key: string): Promise<void> {
    if (this.#isPacked(key)) return this.#logged((log) => log.delete(key), "deleting a record");
    const { cache } = await this.#prepare();
    try {
      await unlink(this.#fileOf(key));
      await syncFolder(this.#folderOf(key));
    } catch (err) {
      if (!isMissing(err)) {
        cache.forget(key);
        throw new StorageError(`deleting a record failed: ${codeOf(err)}`, { cause: err });
      }
    }
    cache.written(key, undefined);
  }

  /** @inheritdoc */
  async list(prefix: string): Promise<string[]> {
    await this.#prepare();
    const segments = prefix.split("/");
    const partial = segments.pop()!;
    const base = segments.length > 0 ? `${segments.join("/")}/` : "";
    const folder = join(this.#data, ...segments.map((segment) => encodeSegment(segment) + FOLDER_SUFFIX));
    const keys: string[] = [];
    await this.#collect(folder, base, partial, keys);
    if (this.#packed.some((packed) => packed.startsWith(prefix) || prefix.startsWith(packed))) {
      for (const key of (await this.#openLog()).keys()) if (key.startsWith(prefix)) keys.push(key);
    }
    return keys.sort();
  }

  /** @inheritdoc */
  async getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    await this.#prepare();
    if (!keys.every((key) => this.#isPacked(key))) return Promise.all(keys.map((key) => this.get(key)));
    return (await this.#openLog()).getMany(keys);
  }

  /** Lets go of the directory: the last instance in this process closes the log and unlocks it. */
  async close(): Promise<void> {
    const ready = this.#ready;
    this.#ready = undefined;
    await (await ready?.catch(() => undefined))?.release();
  }

  #isPacked(key: string): boolean {
    return this.#packed.some((prefix) => key.startsWith(prefix));
  }

  /** The record log, opened (and its index rebuilt) on first use of a packed key. */
  async #openLog(): Promise<RecordLog> {
    const directory = await this.#prepare();
    try {
      return await directory.log(LOG_FILE);
    } catch (err) {
      throw new StorageError(`opening the record log failed: ${codeOf(err)}`, { cause: err });
    }
  }

  async #logged(work: (log: RecordLog) => Promise<void>, what: string): Promise<void> {
    const log = await this.#openLog();
    try {
      await work(log);
    } catch (err) {
      if (err instanceof VaultletError) throw err;
      throw new StorageError(`${what} failed: ${codeOf(err)}`, { cause: err });
    }
  }

  /** Walks `folder` (whose keys start with `base`), keeping names that start with `partial`. */
  async #collect(folder: string, base: string, partial: string, keys: string[]): Promise<void> {
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (err) {
      if (isMissing(err)) return;
      throw new StorageError(`listing records failed: ${codeOf(err)}`, { cause: err });
    }
    for (const name of names) {
      const isFolder = name.endsWith(FOLDER_SUFFIX);
      if (!isFolder && !name.endsWith(FILE_SUFFIX)) continue;
      const segment = decodeSegment(name.slice(0, -FILE_SUFFIX.length));
      if (segment === undefined || !segment.startsWith(partial)) continue;
      if (isFolder) await this.#collect(join(folder, name), `${base}${segment}/`, "", keys);
      else keys.push(base + segment);
    }
  }

  /**
   * Takes the directory for this process (see `storage-directory.ts`); the first taker creates the
   * folders and clears temporary files a crash may have left behind.
   */
  #prepare(): Promise<StorageDirectory> {
    this.#ready ??= StorageDirectory.acquire(this.#root, async () => {
      await mkdir(this.#data, { mode: PRIVATE_FOLDER, recursive: true });
      await makePrivate(this.#data, PRIVATE_FOLDER);
      await rm(this.#temp, { recursive: true, force: true });
      await mkdir(this.#temp, { mode: PRIVATE_FOLDER, recursive: true });
      await syncFolder(this.#root);
    }).catch((err: unknown) => {
      this.#ready = undefined;
      if (err instanceof StorageError) throw err;
      throw new StorageError(`opening the storage directory failed: ${codeOf(err)}`, { cause: err });
    });
    return this.#ready;
  }

  async #ensureFolder(folder: string): Promise<void> {
    const created = await mkdir(folder, { mode: PRIVATE_FOLDER, recursive: true });
    if (created === undefined) return;
    // A new folder is durable only once its parent's entry is: sync every level that was created.
    for (let dir = folder; dir.length >= created.length; dir = join(dir, "..")) await syncFolder(join(dir, ".."));
  }

  #folderOf(key: string): string {
    const segments = key.split("/");
    segments.pop();
    return join(this.#data, ...segments.map((segment) => encodeSegment(segment) + FOLDER_SUFFIX));
  }

  #fileOf(key: string): string {
    const segments = key.split("/");
    const last = segments.pop()!;
    return join(this.#folderOf(key), encodeSegment(last) + FILE_SUFFIX);
  }
}

async function writeDurably(path: string, value: Uint8Array): Promise<void> {
  const handle = await open(path, "w", PRIVATE_FILE);
  try {
    await handle.writeFile(value);
    await handle.sync();
  } finally {
    await handle.close();
  }
}


function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : err instanceof VaultletError ? err.message : "unknown error";
}
