/**
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { Backend, BackendFactory } from "../backend/backend.js";
import type { ChangeEventSink } from "../backend/change-events.js";
import type { JsonStore } from "../storage/json-store.js";
import type { Clock } from "../util/clock.js";
import type { PasswordPolicyLookup } from "../passwords/password-policy-store.js";
import type { MountEntry } from "./mount-entry.js";
import type { ProtectedRecords } from "../util/protected-records.js";

/** What building a mount's backend needs from the engine. */
export interface MountBackendDeps {
  /** Mountable types (e.g. `database`) and their factories. */
  factories: ReadonlyMap<string, BackendFactory>;
  /** The built-in backends, built by the engine (they reach into its stores). */
  system: () => Backend;
  token: () => Backend;
  /** The engine's core storage view: a mount's backend gets `logical/<uuid>/` of it. */
  core: JsonStore;
  clock: Clock;
  passwordPolicy: PasswordPolicyLookup;
  /** Where backends report their configuration changes. */
  events: ChangeEventSink;
  /** A mount's backend saw `target` answer (see `BackendContext.reachable`). */
  reachable: (mountUuid: string, target: string) => void;
  /** The entry currently mounted at a path (a backend reads its tune settings through it). */
  current: (path: string) => MountEntry | undefined;
  /** Cached views of a mount's storage (see `BackendContext.cachedStorage`), by full key prefix. */
  cachedView?: (prefix: string) => JsonStore;
  /** Where the engine's storage keeps its records on a database server (see `BackendContext.protectedRecords`). */
  protectedRecords?: (options?: { refresh?: boolean }) => Promise<ProtectedRecords | undefined>;
}

/** The storage view of a mount's backend. */
export function mountStorage(core: JsonStore, entry: MountEntry): JsonStore {
  return core.sub(mountPrefix(entry));
}

/** The key prefix of a mount's storage, below the engine's core view. */
export function mountPrefix(entry: MountEntry): string {
  return `logical/${entry.uuid}/`;
}

/**
 * Builds the backend that serves `entry`.
 *
 * @throws InvalidRequestError for a type this engine cannot mount
 */
export async function createMountBackend(entry: MountEntry, deps: MountBackendDeps): Promise<Backend> {
  if (entry.type === "system") return deps.system();
  if (entry.type === "token") return deps.token();
  const factory = deps.factories.get(entry.type);
  if (!factory) throw new InvalidRequestError(`unknown mount type ${JSON.stringify(entry.type)}`);
  return factory({
    mount: () => deps.current(entry.path) ?? entry,
    storage: mountStorage(deps.core, entry),
    clock: deps.clock,
    passwordPolicy: deps.passwordPolicy,
    events: deps.events,
    reachable: (target) => deps.reachable(entry.uuid, target),
    ...(deps.cachedView && { cachedStorage: (sub: string) => deps.cachedView!(mountPrefix(entry) + sub) }),
    ...(deps.protectedRecords && { protectedRecords: deps.protectedRecords }),
  });
}
