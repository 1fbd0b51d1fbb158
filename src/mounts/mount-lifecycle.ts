/**
 * The mount lifecycle: enabling, disabling and tuning mounts, the backend of each, routing a
 * request path to its mount, and following mounts changed by other engines on the same storage.
 *
 * @module
 */
import { InvalidRequestError, NotFoundError } from "../errors.js";
import type { Backend } from "../backend/backend.js";
import type { JsonStore } from "../storage/json-store.js";
import type { ConfigCache } from "../config/config-sync.js";
import { describeError, type Logger } from "../observability/logger.js";
import { uuid } from "../util/random.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import type { MountEntry } from "./mount-entry.js";
import { MOUNT_RECORD_PREFIX, MountTable } from "./mount-table.js";
import { mountStorage } from "./mount-backends.js";

/** A new mount as `sys/mounts/<path>` describes it. */
export type NewMount = Omit<MountEntry, "uuid" | "accessor" | "builtin">;

/** What the lifecycle works with. */
export interface MountLifecycleOptions {
  /** The engine's core storage view (mount records, and each mount's `logical/<uuid>/`). */
  core: JsonStore;
  /** Builds the backend serving an entry. */
  createBackend: (entry: MountEntry) => Promise<Backend>;
  /** Revokes every lease under a prefix (a disabled mount's). */
  revokePrefix: (prefix: string) => Promise<unknown>;
  /** Told of mounts enabled and disabled through this engine. */
  onEvent: (name: "mount.enabled" | "mount.disabled", payload: { path: string; type: string }) => void;
  logger: Logger;
}

/** A request path resolved to its mount. */
export interface Route {
  mount: MountEntry;
  backend: Backend;
  /** The path below the mount's path. */
  relativePath: string;
}

/**
 * The mounts of one engine. Each is a record of its own in storage (the source of truth) and a
 * backend here; {@link MountLifecycle.invalidate} (the change feed) brings mounts enabled,
 * disabled or tuned through another engine into this one.
 */
export class MountLifecycle implements ConfigCache {
  /** @inheritdoc */
  readonly prefix = MOUNT_RECORD_PREFIX;
  /** The entries (built-in and stored). */
  readonly table: MountTable;
  readonly #options: MountLifecycleOptions;
  readonly #backends = new Map<string, Backend>();
  /** Serializes changes and reloads, so a reload never undoes a change being made. */
  readonly #lock = new KeyedMutex();

  /** @param options - storage, backend construction, revocation and events */
  constructor(options: MountLifecycleOptions) {
    this.#options = options;
    this.table = new MountTable(options.core);
  }

  /** Loads the table (migrating a single-record one) and builds every mount's backend. */
  async load(builtins: MountEntry[]): Promise<void> {
    await this.#lock.run("mounts", async () => {
      await this.table.load(builtins);
      for (const entry of this.table.all()) this.#backends.set(entry.path, await this.#options.createBackend(entry));
    });
  }

  /**
   * Mounts a backend: nothing is stored if the backend cannot be built, and of two engines
   * mounting the same path at once exactly one succeeds.
   *
   * @throws InvalidRequestError when the path is reserved or taken (here or through another engine)
   */
  enable(partial: NewMount): Promise<void> {
    return this.#lock.run("mounts", async () => {
      this.table.assertAvailable(partial.path);
      const entry: MountEntry = { ...partial, uuid: uuid(), accessor: `${partial.type}_${uuid().slice(0, 8)}`, builtin: false };
      const backend = await this.#options.createBackend(entry);
      try {
        await this.table.create(entry);
        await this.#refuseOverlap(entry);
      } catch (err) {
        await backend.close?.();
        throw err;
      }
      this.#backends.set(entry.path, backend);
      this.#options.onEvent("mount.enabled", { path: entry.path, type: entry.type });
    });
  }

  /** Revokes the mount's leases, closes its backend, removes its entry and its storage. */
  disable(path: string): Promise<void> {
    return this.#lock.run("mounts", async () => {
      const entry = this.table.get(path);
      if (!entry) return;
      if (entry.builtin) throw new InvalidRequestError(`cannot disable the built-in mount ${JSON.stringify(path)}`);
      await this.#options.revokePrefix(entry.path);
      await this.#closeBackend(entry.path);
      await this.table.remove(entry);
      await mountStorage(this.#options.core, entry).deletePrefix();
      this.#options.onEvent("mount.disabled", { path: entry.path, type: entry.type });
    });
  }

  /**
   * Another engine may have stored a mount nested in or around `entry` at the same moment (each
   * passed its own availability check): then `entry` is withdrawn. Both may withdraw, never both stay.
   */
  async #refuseOverlap(entry: MountEntry): Promise<void> {
    const saved = await this.table.readSaved();
    const other = saved.find((e) => e.path !== entry.path && (e.path.startsWith(entry.path) || entry.path.startsWith(e.path)));
    if (!other) return;
    await this.table.remove(entry);
    throw new InvalidRequestError(`cannot mount at ${JSON.stringify(entry.path)}: path is already in use at ${JSON.stringify(other.path)}`);
  }

  /**
   * The backend of the mount with `mountUuid`: at `mountPath`, or wherever `sys/remount` moved it
   * (a lease finds its backend before, during and after its mount's move). A mount disabled and
   * enabled again has a new UUID: its old leases find nothing.
   */
  backendFor(mountPath: string, mountUuid: string): Backend | undefined {
    if (this.table.get(mountPath)?.uuid === mountUuid) return this.#backends.get(mountPath);
    const moved = this.table.byUuid(mountUuid);
    return moved && this.#backends.get(moved.path);
  }

  /**
   * Checks that the mount at `from` may move to `to` (both normalized) and returns its entry.
   *
   * @throws InvalidRequestError for a built-in mount or none at `from`, or a `to` that is reserved,
   *   taken, or nested in or around another mount
   */
  assertRemountable(from: string, to: string): MountEntry {
    const entry = this.table.get(from);
    if (!entry) throw new InvalidRequestError(`no mount at ${JSON.stringify(from)} to move`);
    if (entry.builtin) throw new InvalidRequestError(`cannot remount the built-in mount ${JSON.stringify(from)}`);
    if (from === to) throw new InvalidRequestError(`the mount is already at ${JSON.stringify(to)}`);
    this.table.assertAvailable(to);
    return entry;
  }

  /**
   * Moves the mount with `uuid` from `from` to `to` (`sys/remount`): its entry (UUID and storage
   * kept), then its backend is rebuilt for the new path and the old one closed. Idempotent, for
   * resuming a move a crash interrupted: a mount already at `to` is only rebuilt if needed.
   *
   * @throws InvalidRequestError when the mount is gone (disabled meanwhile) or `to` was taken
   */
  remount(uuid: string, from: string, to: string): Promise<MountEntry> {
    return this.#lock.run("mounts", async () => {
      const saved = await this.table.readSaved();
      const source = saved.find((entry) => entry.uuid === uuid && entry.path === from);
      const target = saved.find((entry) => entry.uuid === uuid && entry.path === to);
      if (!source && !target) throw new InvalidRequestError(`the mount ${JSON.stringify(from)} no longer exists; nothing was moved`);
      if (!source) return target!; // moved already (a resumed migration): the table holds it at `to`
      if (!target) this.table.assertAvailableExcept(to, from);
      const moved = await this.table.move(source, to);
      await this.#rebuild(from, moved);
      return moved;
    });
  }

  /** Serves `moved` from a backend built for its new path; the one at `oldPath` is closed. */
  async #rebuild(oldPath: string, moved: MountEntry): Promise<void> {
    const old = this.#backends.get(oldPath);
    this.#backends.delete(oldPath);
    if (!this.#backends.has(moved.path) || old) await this.#adopt(moved);
    await old?.close?.();
  }

  /**
   * The mount serving `path` (longest prefix) and the path below it.
   *
   * @throws NotFoundError when nothing is mounted there
   */
  route(path: string): Route {
    const mount = this.table.match(path);
    const backend = mount && this.#backends.get(mount.path);
    if (!mount || !backend) throw new NotFoundError(`no handler for route ${JSON.stringify(path)}: nothing is mounted there`);
    return { mount, backend, relativePath: path.slice(mount.path.length) };
  }

  /** @inheritdoc Every change re-reads the whole table: mounts are few, and changes rare. */
  invalidate(): Promise<void> {
    return this.reload();
  }

  /**
   * Makes this engine's mounts match storage: builds backends for mounts enabled (or remounted)
   * elsewhere, closes those of mounts disabled elsewhere, and takes tune settings as stored. A
   * mount whose backend cannot be built here (a type this engine lacks) stays unroutable, logged.
   */
  reload(): Promise<void> {
    return this.#lock.run("mounts", async () => {
      const saved = await this.table.readSaved();
      const stale: string[] = [];
      for (const entry of saved) {
        if (this.table.get(entry.path)?.uuid === entry.uuid && this.#backends.has(entry.path)) continue;
        await this.#adopt(entry);
      }
      const kept = new Set(saved.map((entry) => entry.path));
      for (const entry of this.table.all()) if (!entry.builtin && !kept.has(entry.path)) stale.push(entry.path);
      this.table.replace(saved);
      for (const path of stale) if (!kept.has(path)) await this.#closeBackend(path);
    });
  }

  /** Closes every backend. */
  async close(): Promise<void> {
    const backends = [...this.#backends.values()];
    this.#backends.clear();
    await Promise.allSettled(backends.map((backend) => backend.close?.()));
  }

  /** Builds the backend of a mount enabled elsewhere, replacing (and closing) an older one. */
  async #adopt(entry: MountEntry): Promise<void> {
    let backend: Backend;
    try {
      backend = await this.#options.createBackend(entry);
    } catch (err) {
      await this.#closeBackend(entry.path);
      this.#options.logger.error({ mount: entry.path, type: entry.type, error: describeError(err) }, "cannot serve a mount enabled by another engine");
      return;
    }
    const old = this.#backends.get(entry.path);
    this.#backends.set(entry.path, backend);
    await old?.close?.();
  }

  async #closeBackend(path: string): Promise<void> {
    const backend = this.#backends.get(path);
    this.#backends.delete(path);
    await backend?.close?.();
  }
}
