/**
 * The database secrets engine: connection configs, roles, and dynamic credentials under leases.
 *
 * @module
 */
import { CredentialReachesStorageError, InvalidRequestError, LeaseNotRenewableError, NotFoundError, PermissionDeniedError, PluginError } from "../../errors.js";
import type { Backend, BackendContext, BackendFactory, BackendRequest, BackendResponse, RenewalLimits } from "../../backend/backend.js";
import { PathRouter, type PathRoute } from "../../backend/path-router.js";
import type { LeaseRecord } from "../../leases/lease.js";
import type { JsonStore } from "../../storage/json-store.js";
import { DEFAULT_PASSWORD_POLICY, generatePassword, type PasswordPolicy } from "../../passwords/password-generator.js";
import { guaranteedEntropyBits } from "../../passwords/password-strength.js";
import { calculateTtl } from "../../util/ttl.js";
import type { RequestData } from "../../request.js";
import {
  CONNECTION_CONFIG_FIELDS,
  describeConnectionConfig,
  isRoleAllowed,
  parseConnectionConfig,
  type ConnectionConfig,
} from "./connection-config.js";
import type { DatabasePlugin, DatabasePluginDescriptor, DeleteUserRequest } from "./plugin.js";
import { PluginInstances } from "./plugin-instances.js";
import { ROLE_FIELDS, describeRole, parseRole, revocationSettingsOf, type Role } from "./role.js";
import { UsernameGenerator } from "./username.js";
import { rotateRoot, settleRootRotation } from "./root-rotation.js";
import { StaticRoles } from "./static-roles.js";
import { UsernameTemplate } from "./username-template.js";
import { randomId } from "../../util/random.js";

/**
 * What a database lease keeps to renew and revoke its user (never the password): the backend's
 * private data. `role` is also declared as the lease's `role`; this copy is what revocation reads.
 */
interface CredentialInternal {
  username: string;
  role: string;
  db_name: string;
  /** The ownership marker the plugin tagged the user with (absent on leases from before markers). */
  marker?: string;
}

/**
 * The factory of the `database` mount type.
 *
 * @param plugins - the registered database plugins, by `plugin_name`
 */
export function createDatabaseBackend(plugins: ReadonlyMap<string, DatabasePluginDescriptor>): BackendFactory {
  return async (context) => {
    const backend = new DatabaseBackend(context, plugins);
    await backend.start();
    return backend;
  };
}

class DatabaseBackend implements Backend {
  readonly #context: BackendContext;
  readonly #configs: JsonStore;
  readonly #roles: JsonStore;
  readonly #plugins: PluginInstances;
  readonly #router: PathRouter;
  readonly #usernames = new UsernameGenerator();
  readonly #staticRoles: StaticRoles;

  constructor(context: BackendContext, plugins: ReadonlyMap<string, DatabasePluginDescriptor>) {
    this.#context = context;
    // Read on every credential and revocation, written rarely: served from the engine's
    // configuration cache where it has one (kept true by the change feed and by these views' own writes).
    this.#configs = context.cachedStorage?.("config/") ?? context.storage.sub("config/");
    this.#roles = context.cachedStorage?.("role/") ?? context.storage.sub("role/");
    this.#plugins = new PluginInstances(plugins);
    this.#staticRoles = new StaticRoles({
      store: context.storage.sub("static-role/"),
      clock: context.clock,
      config: (name) => this.#settledConfig(name, InvalidRequestError),
      plugin: (name, config) => this.#plugins.get(name, config),
      passwordPolicy: (name) => this.#requirePasswordPolicy(name),
      refuseReach: (dbName, username, statements) =>
        this.#refuseReach(dbName, [{ field: "username", statements: [], username }, { field: "rotation_statements", statements }]),
    });
    this.#router = new PathRouter([...this.#routes(), ...this.#staticRoles.routes()]);
  }

  /** Schedules the static roles' rotations. */
  async start(): Promise<void> {
    await this.#staticRoles.start();
  }

  handle(request: BackendRequest): Promise<BackendResponse | null> {
    return this.#router.handle(request);
  }

  exists(path: string): Promise<boolean> {
    return this.#router.exists(path);
  }

  async revokeSecret(lease: LeaseRecord): Promise<void> {
    const internal = lease.internal as unknown as CredentialInternal;
    const role = await this.#roles.get<Role>(internal.role);
    const plugin = await this.#pluginFor(internal.db_name);
    await plugin.deleteUser({
      username: internal.username,
      statements: role?.revocation_statements ?? [],
      settings: revocationSettingsOf(role),
      marker: internal.marker,
    });
  }

  /** The role's and the mount's limits as they are now (Vault's renewal re-reads the role too). */
  async renewalLimits(lease: LeaseRecord): Promise<RenewalLimits> {
    const roleName = (lease.internal as unknown as CredentialInternal).role;
    const role = await this.#roles.get<Role>(roleName);
    if (!role) throw new LeaseNotRenewableError(`the role ${JSON.stringify(roleName)} this lease was issued for no longer exists; the lease cannot be renewed`);
    const { config } = this.#context.mount();
    const { ttl, maxTtl } = calculateTtl({
      roleDefault: role.default_ttl,
      roleMax: role.max_ttl,
      mountDefault: config.default_lease_ttl,
      mountMax: config.max_lease_ttl,
    });
    return { maxTtl, defaultTtl: ttl };
  }

  /** Groups the leases by connection config; each config's plugin revokes its users in batches when it can. */
  async revokeSecrets(leases: readonly LeaseRecord[]): Promise<unknown[]> {
    const outcomes: unknown[] = leases.map(() => undefined);
    const byDatabase = new Map<string, number[]>();
    leases.forEach((lease, i) => {
      const name = (lease.internal as unknown as CredentialInternal).db_name;
      byDatabase.set(name, [...(byDatabase.get(name) ?? []), i]);
    });
    const roles = new Map<string, Promise<Role | undefined>>();
    const roleOf = (name: string) => roles.get(name) ?? roles.set(name, this.#roles.get<Role>(name)).get(name)!;
    for (const [dbName, positions] of byDatabase) {
      try {
        const plugin = await this.#pluginFor(dbName);
        const requests = await Promise.all(positions.map((i) => this.#deleteRequest(leases[i]!, roleOf)));
        const results = plugin.revokeUsers ? await plugin.revokeUsers(requests) : await oneByOne(plugin, requests);
        positions.forEach((i, k) => (outcomes[i] = results[k]));
      } catch (err) {
        for (const i of positions) outcomes[i] = err ?? new Error("revocation failed");
      }
    }
    return outcomes;
  }

  /** A lease's revocation waits on its connection config. */
  revocationTarget(lease: LeaseRecord): string {
    return (lease.internal as unknown as CredentialInternal).db_name;
  }

  async #deleteRequest(lease: LeaseRecord, roleOf: (name: string) => Promise<Role | undefined>) {
    const internal = lease.internal as unknown as CredentialInternal;
    const role = await roleOf(internal.role);
    return { username: internal.username, statements: role?.revocation_statements ?? [], settings: revocationSettingsOf(role), marker: internal.marker };
  }

  async renewSecret(lease: LeaseRecord, expireTime: number): Promise<void> {
    const internal = lease.internal as unknown as CredentialInternal;
    const role = await this.#roles.get<Role>(internal.role);
    const plugin = await this.#pluginFor(internal.db_name);
    await plugin.renewUser({
      username: internal.username,
      expiration: new Date(expireTime),
      statements: role?.renew_statements ?? [],
      marker: internal.marker,
    });
    this.#context.reachable?.(internal.db_name);
  }

  async close(): Promise<void> {
    this.#staticRoles.close();
    await this.#plugins.closeAll();
  }

  #routes(): PathRoute[] {
    return [
      { pattern: "config", fields: [], list: () => this.#list(this.#configs) },
      {
        pattern: "config/:name",
        fields: CONNECTION_CONFIG_FIELDS,
        exists: async ({ name }) => (await this.#configs.get(name!)) !== undefined,
        read: async (_req, { name }) => {
          const config = await this.#configs.get<ConnectionConfig>(name!);
          return config ? { data: describeConnectionConfig(config) } : null;
        },
        write: (req, { name }) => this.#writeConfig(name!, req),
        delete: async (_req, { name }) => {
          await this.#plugins.close(name!);
          await this.#configs.delete(name!);
          this.#reportChange("config.changed", name!, "delete", {});
          return null;
        },
      },
      {
        pattern: "reset/:name",
        fields: [],
        write: async (_req, { name }) => {
          await this.#requireConfig(name!);
          await this.#plugins.close(name!);
          return null;
        },
      },
      { pattern: "reload/:plugin_name", fields: [], write: (_req, { plugin_name }) => this.#reload(plugin_name!) },
      {
        pattern: "rotate-root/:name",
        fields: [],
        write: async (_req, { name }) => {
          const config = await this.#settledConfig(name!);
          await rotateRoot(name!, config, {
            configs: this.#configs,
            plugins: this.#plugins,
            policy: await this.#requirePasswordPolicy(config.password_policy),
          });
          return null;
        },
      },
      { pattern: "roles", fields: [], list: () => this.#list(this.#roles) },
      {
        pattern: "roles/:name",
        fields: ROLE_FIELDS,
        exists: async ({ name }) => (await this.#roles.get(name!)) !== undefined,
        read: async (_req, { name }) => {
          const role = await this.#roles.get<Role>(name!);
          return role ? { data: describeRole(role) } : null;
        },
        write: (req, { name }) => this.#writeRole(name!, req),
        delete: async (_req, { name }) => {
          await this.#roles.delete(name!);
          this.#reportChange("role.changed", name!, "delete", {});
          return null;
        },
      },
      { pattern: "creds/:name", fields: [], read: (req, { name }) => this.#issueCredentials(name!, req) },
    ];
  }

  async #list(store: JsonStore): Promise<BackendResponse | null> {
    const keys = await store.listChildren();
    return keys.length === 0 ? null : { data: { keys } };
  }

  /** Validates, then checks the connection (unless `verify_connection: false`), then stores. */
  async #writeConfig(name: string, request: BackendRequest): Promise<BackendResponse | null> {
    const existing = await this.#configs.get<ConnectionConfig>(name);
    const config = parseConnectionConfig(request.data, existing, this.#plugins.names);
    await this.#requirePasswordPolicy(config.password_policy);
    if (config.username_template) {
      UsernameTemplate.parse(config.username_template, this.#plugins.maxUsernameBytes(config.plugin_name));
    }
    const plugin = await this.#plugins.open(config, config.verify_connection);
    if (config.verify_connection) this.#context.reachable?.(name);
    await this.#configs.put(name, config);
    await this.#plugins.replace(name, plugin, config);
    this.#reportChange("config.changed", name, "write", request.data);
    return null;
  }

  async #writeRole(name: string, request: BackendRequest): Promise<BackendResponse | null> {
    const role = parseRole(request.data, await this.#roles.get<Role>(name));
    await this.#requireConfig(role.db_name, InvalidRequestError);
    await this.#requirePasswordPolicy(role.password_policy);
    await this.#refuseReach(
      role.db_name,
      (["creation_statements", "renew_statements", "rollback_statements", "revocation_statements"] as const).map((field) => ({ field, statements: role[field] })),
    );
    await this.#roles.put(name, role);
    this.#reportChange("role.changed", name, "write", request.data);
    return null;
  }

  /**
   * Refuses statements (by field) that would let a database user reach the engine's own storage,
   * when it lives on the connection's server — and, for a static role, a `username` that already
   * does (see `plugins/postgres/storage-reach-guard.ts`). The storage is asked afresh: role writes
   * are rare, and the roles that hold its records may have changed since its last check.
   *
   * @throws CredentialReachesStorageError naming the field and the grant
   */
  async #refuseReach(dbName: string, checks: ReadonlyArray<{ field: string; statements: readonly string[]; username?: string }>): Promise<void> {
    const records = await this.#context.protectedRecords?.({ refresh: true });
    if (!records) return;
    const plugin = await this.#pluginFor(dbName);
    if (!plugin.findReach) return;
    for (const { field, statements, username } of checks) {
      if (statements.length === 0 && username === undefined) continue;
      const reach = await plugin.findReach({ statements, records, ...(username !== undefined && { username }) });
      if (reach !== undefined) {
        throw new CredentialReachesStorageError(`${field}: ${reach}; refused (see docs/security.md, "Storage reachable through granted roles")`);
      }
    }
  }

  /**
   * `reload/<plugin_name>`: what `reset` does, for every connection using that plugin — their
   * connections are closed, and opened again from the stored config on next use.
   */
  async #reload(pluginName: string): Promise<BackendResponse> {
    const connections: string[] = [];
    for (const name of await this.#configs.list()) {
      const config = await this.#configs.get<ConnectionConfig>(name);
      if (config?.plugin_name !== pluginName) continue;
      await this.#plugins.close(name);
      connections.push(name);
    }
    const warnings = connections.length === 0 ? [`no connection uses the plugin ${JSON.stringify(pluginName)}`] : undefined;
    return { data: { connections, count: connections.length }, ...(warnings ? { warnings } : {}) };
  }

  /** Reports a stored change of a config or role: the names of the fields given, never their values. */
  #reportChange(event: "config.changed" | "role.changed", name: string, operation: "write" | "delete", data: RequestData): void {
    const fields = operation === "write" ? Object.keys(data).sort() : [];
    this.#context.events?.(event, { mount: this.#context.mount().path, name, operation, fields });
  }

  /** `creds/<role>`: a fresh user under a new lease (written before the user is created). */
  async #issueCredentials(roleName: string, request: BackendRequest): Promise<BackendResponse | null> {
    const role = await this.#roles.get<Role>(roleName);
    if (!role) throw new InvalidRequestError(`unknown role ${JSON.stringify(roleName)}`);
    const config = await this.#settledConfig(role.db_name, InvalidRequestError);
    if (!isRoleAllowed(config, roleName)) {
      throw new PermissionDeniedError(`${JSON.stringify(roleName)} is not an allowed role of connection ${JSON.stringify(role.db_name)}`);
    }
    const plugin = await this.#plugins.get(role.db_name, config);
    // The storage's last check (no round trip): the plugin's guard keeps the new user from reaching it.
    const protectedRecords = await this.#context.protectedRecords?.();
    const mount = this.#context.mount();
    const ttl = calculateTtl({
      roleDefault: role.default_ttl,
      roleMax: role.max_ttl,
      mountDefault: mount.config.default_lease_ttl,
      mountMax: mount.config.max_lease_ttl,
    });
    const username = this.#usernames.generate(config.username_template, {
      displayName: request.caller.displayName,
      roleName,
      now: this.#context.clock.now(),
      maxBytes: this.#plugins.maxUsernameBytes(config.plugin_name),
    });
    const passwordPolicy = await this.#requirePasswordPolicy(role.password_policy || config.password_policy);
    const password = generatePassword(passwordPolicy);
    // Written ahead with the lease, so a revocation after a crash mid-creation still has it.
    const internal: CredentialInternal = { username, role: roleName, db_name: role.db_name, marker: randomId() };
    return request.secrets.issue({ ttl, renewable: true, internal: { ...internal }, role: roleName, maxLeases: role.max_leases ?? 0 }, async (lease) => {
      await plugin.newUser({
        username,
        password,
        passwordEntropyBits: guaranteedEntropyBits(passwordPolicy),
        expiration: new Date(lease.expireTime),
        statements: role.creation_statements,
        rollbackStatements: role.rollback_statements,
        marker: internal.marker,
        ...(protectedRecords && { protectedRecords }),
      });
      this.#context.reachable?.(role.db_name); // revocations waiting on this database resume
      return { username, password };
    });
  }

  /** The named password policy (Vault's default when `name` is empty); a missing one is an error. */
  async #requirePasswordPolicy(name: string | undefined): Promise<PasswordPolicy> {
    if (!name) return DEFAULT_PASSWORD_POLICY;
    const policy = await this.#context.passwordPolicy?.(name);
    if (!policy) throw new InvalidRequestError(`no password policy named ${JSON.stringify(name)}; write sys/policies/password/${name} first`);
    return policy;
  }

  async #pluginFor(dbName: string): Promise<DatabasePlugin> {
    const config = await this.#settledConfig(dbName);
    return this.#plugins.get(dbName, config);
  }

  /** The config, after resolving a root rotation a crash interrupted. */
  async #settledConfig(
    name: string,
    ErrorType: typeof NotFoundError | typeof InvalidRequestError = NotFoundError,
  ): Promise<ConnectionConfig> {
    const config = await this.#requireConfig(name, ErrorType);
    return settleRootRotation(name, config, { configs: this.#configs, plugins: this.#plugins });
  }

  async #requireConfig(
    name: string,
    ErrorType: typeof NotFoundError | typeof InvalidRequestError = NotFoundError,
  ): Promise<ConnectionConfig> {
    const config = await this.#configs.get<ConnectionConfig>(name);
    if (!config) throw new ErrorType(`no database connection named ${JSON.stringify(name)}; write config/${name} first`);
    return config;
  }
}

/**
 * Revokes users one at a time (a plugin without `revokeUsers`), each outcome kept apart; once the
 * database is found unreachable, the rest share that outcome untried.
 */
async function oneByOne(plugin: DatabasePlugin, requests: DeleteUserRequest[]): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  let unreachable: PluginError | undefined;
  for (const request of requests) {
    const outcome = unreachable ?? (await plugin.deleteUser(request).then(() => undefined, (err: unknown) => err ?? new Error("revocation failed")));
    if (outcome instanceof PluginError && outcome.unreachable) unreachable = outcome;
    outcomes.push(outcome);
  }
  return outcomes;
}
