/**
 * The events an engine emits (`engine.on(name, listener)`), and what each carries. Payloads never
 * hold a secret: no token, no password, no connection URL, and for configuration changes only the
 * NAMES of the fields that were written, never their values.
 *
 * @module
 */

/** A lease, as lease events describe it. */
export interface LeaseEventPayload {
  /** The lease id, e.g. `"database/creds/readonly/AbC…"` (lease ids are not secret). */
  leaseId: string;
  /** The mount that issued it, e.g. `"database/"`. */
  mount: string;
  /** The issuing path relative to the mount, e.g. `"creds/readonly"`. */
  path: string;
  /** The role it was issued for (database leases), or `null`. */
  role: string | null;
  /** When it expires (ISO 8601). */
  expireTime: string;
}

/** A failed revocation. */
export interface LeaseFailurePayload extends LeaseEventPayload {
  /** Failed attempts so far. */
  attempts: number;
  /** The sanitized reason. */
  error: string;
}

/** A token, as token events describe it (never the token itself). */
export interface TokenEventPayload {
  /** The token's accessor: an id for managing it that cannot be turned into the token. */
  accessor: string;
  displayName: string;
  policies: string[];
}

/** A configuration change: which object, and the names of the fields written. */
export interface ChangePayload {
  /** The mount, e.g. `"database/"`. */
  mount: string;
  /** The object's name, e.g. the connection `"postgresql"` or the role `"readonly"`. */
  name: string;
  /** `"write"` (create or update) or `"delete"`. */
  operation: "write" | "delete";
  /** Names of the fields given in the write, sorted; never their values. Empty for a delete. */
  fields: string[];
}

/** A lease-count guardrail reaching its warning threshold or its limit. */
export interface QuotaPayload {
  /** `"mount"` (the mount's `max_leases`) or `"role"` (the role's `max_leases`). */
  scope: "mount" | "role";
  mount: string;
  /** The role, for role quotas (and for mount quotas, the role being issued), or `null`. */
  role: string | null;
  /** Live leases counted against the limit (including the one being issued, when refused). */
  count: number;
  /** The limit. */
  maxLeases: number;
  /** The warning ratio in force (e.g. 0.8). */
  threshold: number;
}

/**
 * Every event, by name, with its payload type.
 *
 * @example
 * ```ts
 * engine.on("lease.revoked", ({ leaseId, role }) => console.log("revoked", leaseId, role));
 * engine.on("lease.irrevocable", (lease) => pager.alert(lease));
 * ```
 */
export interface EngineEvents {
  /** A secret was issued under a new lease. */
  "lease.created": LeaseEventPayload & { ttl: number };
  /** A lease was renewed; `expireTime` is the new expiry. */
  "lease.renewed": LeaseEventPayload;
  /** A lease reached its expiry; its revocation follows (`lease.revoked` or `lease.revoke_failed`). */
  "lease.expired": LeaseEventPayload;
  /** A lease's secret was revoked and the lease removed. */
  "lease.revoked": LeaseEventPayload;
  /** A lease was removed without revoking its secret (`sys/leases/revoke-force`). */
  "lease.forgotten": LeaseEventPayload;
  /** A revocation attempt failed; it will be retried with backoff. */
  "lease.revoke_failed": LeaseFailurePayload;
  /** Revocation kept failing: the lease is now irrevocable (kept, retried rarely, force-revocable). */
  "lease.irrevocable": LeaseFailurePayload;
  /** A token was created. */
  "token.created": TokenEventPayload;
  /** A token was revoked (explicitly, by expiry, or with its parent). */
  "token.revoked": TokenEventPayload;
  /** A secrets engine was mounted. */
  "mount.enabled": { path: string; type: string };
  /** A secrets engine was unmounted (its leases revoked). */
  "mount.disabled": { path: string; type: string };
  /** A mount was tuned; `fields` names the settings given. */
  "mount.tuned": { path: string; fields: string[] };
  /** A mount moved (`sys/remount`) with its leases, through this engine (or finished by it after a restart). */
  "mount.remounted": { from: string; to: string; migrationId: string; leasesMoved: number };
  /** A database connection config was written or deleted. */
  "config.changed": ChangePayload;
  /** A database role was written or deleted. */
  "role.changed": ChangePayload;
  /** An ACL policy was written or deleted. */
  "policy.changed": { name: string; operation: "write" | "delete" };
  /** An audit device was enabled. */
  "audit.enabled": { path: string; type: string };
  /** An audit device was disabled. */
  "audit.disabled": { path: string };
  /** A mount's or role's live lease count reached the warning threshold of its `max_leases`. */
  "quota.threshold": QuotaPayload;
  /** A creds request was refused because a `max_leases` limit was reached. */
  "quota.exceeded": QuotaPayload;
  /**
   * A check of the storage after open (periodic, or at a role write) found login roles that reach its records (`PostgresStorage`: a
   * grant on its tables, membership in its owner, `pg_read_all_data` …); until they no longer do,
   * the storage refuses every use with `StorageExposedError`. Sent at every check that finds them.
   */
  "storage.exposed": { roles: string[]; message: string };
}

/** The name of an event. */
export type EngineEventName = keyof EngineEvents;

/** A listener of one event. */
export type EngineEventListener<K extends EngineEventName> = (payload: EngineEvents[K]) => void | Promise<void>;
