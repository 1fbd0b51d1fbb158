/**
 * The database plugin interface: the only part of vaultlet that talks to a database. A plugin never
 * sees storage, tokens or policies; it runs statements against its database.
 *
 * @module
 */
import type { RevocationSettings } from "./revocation-settings.js";
import type { PluginError } from "../../errors.js";
import type { ProtectedRecords } from "../../util/protected-records.js";

export type { RevocationSettings } from "./revocation-settings.js";
export type { ProtectedRecords, RecordHolder } from "../../util/protected-records.js";

/** How a plugin connects: the fields of `<db>/config/<name>` that concern the connection. */
export interface ConnectionSettings {
  /**
   * A connection URL, possibly templated with `{{username}}` and `{{password}}`; empty when the
   * connection is given by {@link ConnectionSettings.host} instead.
   */
  connectionUrl: string;
  /** Host, when there is no URL. */
  host?: string;
  /** Port, when there is no URL (default 5432). */
  port?: number;
  /** Database name, when there is no URL. */
  database?: string;
  /** Inline PEM: CA certificate(s), client certificate and client key (secret). Enables TLS. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** The engine's database user, substituted for `{{username}}`. */
  username?: string;
  /** The engine's database password, substituted for `{{password}}`. Secret. */
  password?: string;
  /** Pool size: the most connections the plugin opens at once. */
  maxOpenConnections: number;
  /**
   * Vault's `max_idle_connections`: the most connections kept open while idle; 0 (or absent) =
   * as many as {@link ConnectionSettings.maxOpenConnections}, negative = none.
   */
  maxIdleConnections?: number;
  /** Vault's `max_connection_lifetime`, in seconds: a connection is not reused after it; 0 (or absent) = forever. */
  maxConnectionLifetimeSeconds?: number;
  /** Vault's `disable_escaping`: put the user and password into a URL `connectionUrl` as they are, not URL-encoded. */
  disableEscaping?: boolean;
  /**
   * How passwords are sent to the database: `"scram-sha-256"` (default: a verifier computed here,
   * so the plaintext never reaches the server) or `"password"` (the plaintext, for a server or
   * pooler that needs it).
   */
  passwordAuthentication?: PasswordAuthentication;
}

/** The values of `password_authentication`. */
export type PasswordAuthentication = "password" | "scram-sha-256";

/** Create a user: run `statements` in one transaction; on failure run `rollbackStatements`. */
export interface NewUserRequest {
  /** The generated username (`{{name}}`/`{{username}}`); identifier-safe, within the database's limit. */
  username: string;
  /** Secret: substitute it into statements, never into a message. */
  password: string;
  /**
   * A lower bound of the password's entropy in bits, when the engine generated it from a password
   * policy (`guaranteedEntropyBits`); absent when unknown. A plugin may store a cheaper verifier
   * for a password too strong to guess (the PostgreSQL plugin's SCRAM iterations).
   */
  passwordEntropyBits?: number;
  /** When the user must stop working (feeds `{{expiration}}`). */
  expiration: Date;
  /** Creation statements (templates), already split; never empty. */
  statements: string[];
  /** Statements that undo a partial creation (templates); may be empty. */
  rollbackStatements: string[];
  /**
   * The lease's ownership marker (random, `[A-Za-z0-9-]`, kept in the lease's internal data). A
   * plugin that can should refuse a user that already exists and tag the new one with it, so that
   * {@link DeleteUserRequest.marker} can prove the user is the one this lease created.
   */
  marker?: string;
  /**
   * The engine's own records, when they live on a database server (a `PostgresStorage`): a
   * plugin whose database is on that server must not leave behind a user that reaches them. The
   * PostgreSQL plugin checks, in the creation's own transaction after the statements, that the new
   * user is no member of a role in {@link ProtectedRecords.holders} (nor a superuser, nor able to
   * read the server's files), and rolls back with a `CredentialReachesStorageError` otherwise.
   */
  protectedRecords?: ProtectedRecords;
}

/** What {@link DatabasePlugin.findReach} reads. */
export interface FindReachRequest {
  /** Statement templates, already split (a role's creation, renewal, rollback or revocation statements). */
  statements: readonly string[];
  /** The engine's records (see {@link NewUserRequest.protectedRecords}). */
  records: ProtectedRecords;
  /** An existing user the statements run for (a static role's), whose own reach is checked too. */
  username?: string;
}

/** Extend a user's validity to `expiration`. Empty `statements` means the plugin's default. */
export interface RenewUserRequest {
  /** The user to extend. */
  username: string;
  /** The new expiry (feeds `{{expiration}}`). */
  expiration: Date;
  /** Renew statement templates, already split; empty = the plugin's default. */
  statements: string[];
  /** The lease's ownership marker, as in {@link DeleteUserRequest.marker}: a renewal, too, touches only the lease's own user. */
  marker?: string;
}

/** Remove a user. Empty `statements` means the plugin's default revocation. Must be idempotent. */
export interface DeleteUserRequest {
  /** The user to remove. */
  username: string;
  /** Revocation statement templates, already split; empty = the plugin's default revocation. */
  statements: string[];
  /** How to revoke (the role's settings); absent means the defaults (end sessions, reassign owned objects to the connection's user). */
  settings?: RevocationSettings;
  /**
   * The marker given to {@link NewUserRequest.marker} when this lease created the user. A plugin
   * that tags users refuses (a `PluginError` with `refused`, nothing dropped) a user that does not
   * carry it; absent for leases created before markers existed.
   */
  marker?: string;
}

/** Set a user's password (root rotation, static roles). Empty `statements` means the plugin's default. */
export interface ChangePasswordRequest {
  /** The user whose password changes. */
  username: string;
  /** Secret: substitute it into statements, never into a message. */
  password: string;
  /** As {@link NewUserRequest.passwordEntropyBits}. */
  passwordEntropyBits?: number;
  /** Statement templates (`{{name}}`/`{{username}}`, `{{password}}`); already split. */
  statements: string[];
}

/**
 * A database plugin instance, bound to one connection config.
 *
 * Every method rejects with a `PluginError` whose message is free of secrets and whose
 * {@link PluginError.refused} says whether the database answered and refused (nothing changed) or
 * the outcome is unknown (unreachable, timed out, connection lost). `vaultlet/testing`'s
 * `databasePluginContract` checks an implementation against this contract.
 */
export interface DatabasePlugin {
  /** The implementation's name, e.g. `"postgresql-database-plugin"`; used in messages. */
  readonly name: string;
  /** Connects (lazily); with `verifyConnection`, checks now that the database answers. */
  initialize(settings: ConnectionSettings, options: { verifyConnection: boolean }): Promise<void>;
  /** Creates a user. */
  newUser(request: NewUserRequest): Promise<void>;
  /** Extends a user's validity. */
  renewUser(request: RenewUserRequest): Promise<void>;
  /** Removes a user; succeeds when the user does not exist. */
  deleteUser(request: DeleteUserRequest): Promise<void>;
  /**
   * Optional: removes many users at once (a revocation storm: many leases fell due together),
   * each exactly as {@link DatabasePlugin.deleteUser} would, in as few round trips as the database
   * allows, with failures isolated per user — one user that cannot be revoked never blocks or
   * rolls back the others. Resolves to one outcome per request, in order: `undefined` when the
   * user is gone, else the `PluginError` its revocation failed with. Rejects (a `PluginError`)
   * only when nothing could be done, e.g. the database is unreachable.
   */
  revokeUsers?(requests: readonly DeleteUserRequest[]): Promise<Array<PluginError | undefined>>;
  /**
   * Sets an existing user's password; fails (changing nothing) when the user does not exist.
   * Optional: root rotation and static roles need it.
   */
  changePassword?(request: ChangePasswordRequest): Promise<void>;
  /**
   * Optional: why running `request.statements` on this plugin's database would let a database
   * user reach `request.records` — the grant that would, named as the statements write it — or
   * `undefined` when they would not, or when the records are on another server. Asked when a
   * role or a static role is written, so that such a grant is refused (400) before it runs.
   * Statements that build their grant at run time escape it: {@link NewUserRequest.protectedRecords}
   * is the check that does not. With `request.username`, that user's own reach is checked as well.
   */
  findReach?(request: FindReachRequest): Promise<string | undefined>;
  /** Closes connections. */
  close(): Promise<void>;
}

/** Creates a fresh, uninitialized plugin instance. */
export type DatabasePluginFactory = () => DatabasePlugin;

/**
 * How a plugin is registered with an engine (`Engine.open({ plugins: [descriptor] })`): what the
 * engine needs to know before any instance exists, and how to make one. A config selects it with
 * `plugin_name: descriptor.name`.
 *
 * @example
 * ```ts
 * const engine = await Engine.open({ plugins: [postgresPlugin({ name: "app-postgres", pool })] });
 * ```
 */
export interface DatabasePluginDescriptor {
  /** The `plugin_name` configs use to select it, e.g. `"postgresql-database-plugin"`. */
  readonly name: string;
  /** The longest username the database accepts, in bytes (checks `username_template` on config writes). */
  readonly maxUsernameBytes: number;
  /** Creates a fresh, uninitialized instance: one per connection config. */
  readonly create: DatabasePluginFactory;
}
