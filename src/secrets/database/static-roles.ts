/**
 * Static roles: `static-roles/<name>`, `static-creds/<name>`, `rotate-role/<name>`, and their
 * scheduled rotation.
 *
 * A rotation records the new password as pending, changes it in the database, then stores it as
 * current. A pending record found later (a crash in between) is resolved by rotating again, since
 * the engine owns the password. A failed rotation keeps the current password, is retried with
 * backoff, and never drops the user.
 *
 * @module
 */
import { InvalidRequestError, PermissionDeniedError, UnsupportedOperationError } from "../../errors.js";
import type { BackendResponse } from "../../backend/backend.js";
import type { PathRoute } from "../../backend/path-router.js";
import type { JsonStore } from "../../storage/json-store.js";
import type { Clock } from "../../util/clock.js";
import { generatePassword, type PasswordPolicy } from "../../passwords/password-generator.js";
import { guaranteedEntropyBits } from "../../passwords/password-strength.js";
import { isRoleAllowed, type ConnectionConfig } from "./connection-config.js";
import { connectionUsers, sameRoleName } from "./connection-url.js";
import type { DatabasePlugin } from "./plugin.js";
import { refusedByDatabase } from "./root-rotation.js";
import { RotationScheduler } from "./rotation-scheduler.js";
import {
  STATIC_ROLE_FIELDS,
  describeStaticCredentials,
  describeStaticRole,
  nextRotation,
  parseStaticRole,
  withinRotationWindow,
  type StaticRole,
} from "./static-role.js";

/** What static roles need from the database backend. */
export interface StaticRoleDependencies {
  store: JsonStore;
  clock: Clock;
  /** The connection config `name` (settled), or an InvalidRequestError. */
  config(name: string): Promise<ConnectionConfig>;
  /** The plugin of the connection `name`. */
  plugin(name: string, config: ConnectionConfig): Promise<DatabasePlugin>;
  /** The named password policy (Vault's default for an empty name). */
  passwordPolicy(name: string | undefined): Promise<PasswordPolicy>;
  /**
   * Refuses (a `CredentialReachesStorageError`) a user, or rotation statements, that would reach
   * the engine's own storage on the connection `dbName`'s server. Optional: without it, no check.
   */
  refuseReach?(dbName: string, username: string, statements: readonly string[]): Promise<void>;
}

/** First retry after a failed rotation; doubles per failure up to {@link MAX_RETRY_MS}. */
const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 3_600_000;

/** Static roles of one database mount. */
export class StaticRoles {
  readonly #deps: StaticRoleDependencies;
  readonly #scheduler: RotationScheduler;
  readonly #locks = new Map<string, Promise<unknown>>();

  /** @param deps - storage, clock and access to connections */
  constructor(deps: StaticRoleDependencies) {
    this.#deps = deps;
    this.#scheduler = new RotationScheduler(deps.clock, (name) => this.#scheduledRotation(name));
  }

  /** Schedules every stored role; an interrupted rotation is redone at once. */
  async start(): Promise<void> {
    for (const name of await this.#deps.store.list()) {
      const role = await this.#deps.store.get<StaticRole>(name);
      if (!role) continue;
      this.#scheduler.schedule(name, role.pending_password ? this.#deps.clock.now() : role.next_rotation ?? this.#deps.clock.now());
    }
  }

  /** Stops the rotation timer. */
  close(): void {
    this.#scheduler.close();
  }

  /** The routes of `static-roles`, `static-creds` and `rotate-role`. */
  routes(): PathRoute[] {
    const store = this.#deps.store;
    return [
      {
        pattern: "static-roles",
        fields: [],
        list: async () => {
          const keys = await store.listChildren();
          return keys.length === 0 ? null : { data: { keys } };
        },
      },
      {
        pattern: "static-roles/:name",
        fields: STATIC_ROLE_FIELDS,
        exists: async ({ name }) => (await store.get(name!)) !== undefined,
        read: async (_req, { name }) => {
          const role = await store.get<StaticRole>(name!);
          return role ? { data: describeStaticRole(role, this.#deps.clock.now()) } : null;
        },
        write: (req, { name }) => this.#locked(name!, () => this.#write(name!, req.data)),
        delete: (_req, { name }) =>
          this.#locked(name!, async () => {
            this.#scheduler.unschedule(name!);
            await store.delete(name!);
            return null;
          }),
      },
      { pattern: "static-creds/:name", fields: [], read: (_req, { name }) => this.#credentials(name!) },
      {
        pattern: "rotate-role/:name",
        fields: [],
        write: (_req, { name }) =>
          this.#locked(name!, async () => {
            const role = await this.#require(name!);
            await this.#rotate(name!, role);
            return null;
          }),
      },
    ];
  }

  async #write(name: string, data: Record<string, unknown>): Promise<BackendResponse | null> {
    const existing = await this.#deps.store.get<StaticRole>(name);
    const role = parseStaticRole(data, existing);
    const config = await this.#deps.config(role.db_name);
    if (!isRoleAllowed(config, name)) {
      throw new PermissionDeniedError(`${JSON.stringify(name)} is not an allowed role of connection ${JSON.stringify(role.db_name)}`);
    }
    assertNotConnectionUser(role.username, config);
    // Its password is handed out through static-creds: the user must not reach the engine's storage.
    await this.#deps.refuseReach?.(role.db_name, role.username, role.rotation_statements);
    await this.#deps.passwordPolicy(role.password_policy);
    if (!existing && !role.skip_import_rotation) {
      await this.#rotate(name, role, { initial: true });
      return null;
    }
    // Created with skip_import_rotation: the password stays as it is until the first rotation.
    const from = role.last_vault_rotation ?? this.#deps.clock.now();
    const next = role.failures ? role.next_rotation : nextRotation(role, from);
    const updated: StaticRole = { ...role, next_rotation: next, scheduled_rotation: role.failures ? role.scheduled_rotation : next };
    await this.#deps.store.put(name, updated);
    this.#scheduler.schedule(name, updated.next_rotation ?? this.#deps.clock.now());
    return null;
  }

  async #credentials(name: string): Promise<BackendResponse | null> {
    let role = await this.#deps.store.get<StaticRole>(name);
    if (!role) return null;
    if (role.pending_password) role = await this.#locked(name, async () => this.#rotate(name, await this.#require(name)));
    return { data: describeStaticCredentials(role, this.#deps.clock.now()) };
  }

  async #scheduledRotation(name: string): Promise<void> {
    await this.#locked(name, async () => {
      const role = await this.#deps.store.get<StaticRole>(name);
      if (!role) return;
      // Past its rotation_window the rotation waits for the next scheduled time — unless one was
      // interrupted midway, which is always finished (the database may hold the pending password).
      if (!role.pending_password && !withinRotationWindow(role, this.#deps.clock.now())) return this.#skipToNextSchedule(name, role);
      await this.#rotate(name, role);
    }).catch(() => undefined); // #rotate stored the failure and scheduled a retry
  }

  async #skipToNextSchedule(name: string, role: StaticRole): Promise<void> {
    const next = nextRotation(role, this.#deps.clock.now());
    await this.#deps.store.put(name, { ...role, next_rotation: next, scheduled_rotation: next, failures: 0 } satisfies StaticRole);
    this.#scheduler.schedule(name, next);
  }

  /**
   * Sets a fresh password. On failure: an initial rotation leaves nothing stored; a later one keeps
   * the current password and schedules a retry.
   */
  async #rotate(name: string, role: StaticRole, { initial = false } = {}): Promise<StaticRole> {
    const now = this.#deps.clock.now();
    try {
      const config = await this.#deps.config(role.db_name);
      // Checked again at each rotation: the connection may have been rewritten to log in as this user.
      assertNotConnectionUser(role.username, config);
      const plugin = await this.#deps.plugin(role.db_name, config);
      if (!plugin.changePassword) throw new UnsupportedOperationError(`the ${plugin.name} plugin cannot rotate passwords`);
      const passwordPolicy = await this.#deps.passwordPolicy(role.password_policy || config.password_policy);
      const password = generatePassword(passwordPolicy);
      await this.#deps.store.put(name, { ...role, pending_password: password } satisfies StaticRole);
      await plugin.changePassword({ username: role.username, password, passwordEntropyBits: guaranteedEntropyBits(passwordPolicy), statements: role.rotation_statements });
      const next = nextRotation(role, now);
      const rotated: StaticRole = { ...role, password, last_vault_rotation: now, next_rotation: next, scheduled_rotation: next, failures: 0 };
      delete rotated.pending_password;
      await this.#deps.store.put(name, rotated);
      this.#scheduler.schedule(name, rotated.next_rotation!);
      return rotated;
    } catch (err) {
      if (initial) await this.#deps.store.delete(name);
      else await this.#recordFailure(name, role, now, refusedByDatabase(err));
      throw err;
    }
  }

  async #recordFailure(name: string, role: StaticRole, now: number, refused: boolean): Promise<void> {
    const failures = (role.failures ?? 0) + 1;
    const retryAt = now + Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
    const stored = (await this.#deps.store.get<StaticRole>(name)) ?? role;
    const failed: StaticRole = { ...stored, failures, next_rotation: retryAt };
    // A refused change left the current password in place. Otherwise the database may have taken
    // the pending one: keep it, and the retry (or the next read) sets a fresh password anyway.
    if (refused) delete failed.pending_password;
    await this.#deps.store.put(name, failed);
    this.#scheduler.schedule(name, retryAt);
  }

  async #require(name: string): Promise<StaticRole> {
    const role = await this.#deps.store.get<StaticRole>(name);
    if (!role) throw new InvalidRequestError(`no static role named ${JSON.stringify(name)}`);
    return role;
  }

  /** Runs `task` after any other task on the same role (rotations of one role never overlap). */
  #locked<T>(name: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(name) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.#locks.set(name, tail);
    void tail.then(() => {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    });
    return run;
  }
}


/**
 * Refuses a static role on a user the connection logs in as, in whatever form the connection names
 * it (`username`, the URL's user, a `user=` parameter; compared without quotes or case): rotating
 * it would take the engine's own root password away and hand it out through `static-creds`.
 *
 * @throws InvalidRequestError naming the rule (never the connection's URL)
 */
function assertNotConnectionUser(username: string, config: ConnectionConfig): void {
  if (connectionUsers(config.connection_url, config.username).some((admin) => sameRoleName(admin, username))) {
    throw new InvalidRequestError("a static role cannot manage the connection's own user; use rotate-root for it");
  }
}
