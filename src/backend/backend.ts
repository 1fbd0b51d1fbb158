/**
 * The interface every mounted backend implements — the system backend, the token backend and
 * secrets engines such as the database backend.
 *
 * @module
 */
import type { Operation, RequestData, AuthBlock, WrapInfo } from "../request.js";
import type { JsonStore } from "../storage/json-store.js";
import type { TtlDecision } from "../util/ttl.js";
import type { Clock } from "../util/clock.js";
import type { MountEntry } from "../mounts/mount-entry.js";
import type { LeaseRecord } from "../leases/lease.js";
import type { PasswordPolicyLookup } from "../passwords/password-policy-store.js";
import type { ChangeEventSink } from "./change-events.js";
import type { ProtectedRecords } from "../util/protected-records.js";

/** Who is making a request, as a backend may use it (never the token itself). */
export interface Caller {
  /** The token's display name, e.g. `"token"` or `"root"`; feeds generated usernames. */
  displayName: string;
  /** The token's accessor. */
  accessor: string;
  /** The token's policies. */
  policies: readonly string[];
}

/** What a backend asks for when it issues a secret under a lease. */
export interface SecretSpec {
  /** The TTL decision (granted TTL, effective max, warning). */
  ttl: TtlDecision;
  /** Whether the lease may be renewed. */
  renewable: boolean;
  /**
   * What the backend needs later to renew or revoke the secret (e.g. the username). Stored with
   * the lease, so it must not hold the secret itself. Private to the backend: nothing else reads it.
   */
  internal: Record<string, unknown>;
  /**
   * The role the secret is issued for, if the backend has roles (the database backend's role
   * name). Stored as the lease's `role`: `max_leases` per role, metrics and events count by it.
   */
  role?: string;
  /**
   * The accessor of the token the lease belongs to, whose revocation revokes it (default: the
   * requesting token). A token's own lease belongs to that token, so orphans outlive their creator.
   */
  owner?: string;
  /**
   * The most live leases the secret's role may hold (its `max_leases`); 0 or absent: no limit.
   * The role is {@link SecretSpec.role}. The engine refuses to issue past it (and past the mount's).
   */
  maxLeases?: number;
}

/** The lease being created, as seen by the function that creates the secret. */
export interface PendingLease {
  /** The lease id, e.g. `"database/creds/readonly/AbC…"`. */
  id: string;
  /** When the lease will expire, ms since the epoch. */
  expireTime: number;
}

/**
 * Issues secrets under leases, write-ahead: the lease is recorded (state `pending`) before
 * `create` runs its side effect, made active after it succeeds, and removed when it fails. A crash
 * in between leaves a pending lease that startup reconciles, never an untracked database user.
 */
export interface SecretIssuer {
  /**
   * @param spec - TTL and the data needed to revoke the secret later
   * @param create - creates the secret and returns the response data (e.g. username and password)
   */
  issue(spec: SecretSpec, create: (lease: PendingLease) => Promise<Record<string, unknown>>): Promise<BackendResponse>;
}

/** A request as a backend sees it: the path is relative to the mount. */
export interface BackendRequest {
  /** The operation. */
  operation: Operation;
  /** The path below the mount, without leading or trailing `/` (e.g. `"creds/readonly"`). */
  path: string;
  /** The request data (never undefined). */
  data: RequestData;
  /** Who is asking; on an unauthenticated path without a valid token, an anonymous caller (accessor `""`). */
  caller: Caller;
  /** Issues leased secrets for this request. */
  secrets: SecretIssuer;
  /**
   * The token the request was made with, given only to a backend that declares
   * {@link Backend.receivesClientToken} (the token backend: `lookup-self` and `renew-self` answer
   * with it, as Vault's do). Every other backend never sees a token.
   */
  clientToken?: string;
  /** The response-wrapping TTL the request asks for, in seconds; unset when it asks for none. */
  wrapTtl?: number;
}

/** What a backend answers; the engine wraps it in the response envelope. */
export interface BackendResponse {
  /** Response data. */
  data?: Record<string, unknown> | null;
  /** Warnings to pass on. */
  warnings?: string[];
  /** Set by {@link SecretIssuer.issue}: the lease that carries `data`. */
  lease?: { id: string; duration: number; renewable: boolean };
  /** Set when the response created a token. */
  auth?: AuthBlock;
  /**
   * Set by a backend that wrapped its answer itself (`sys/wrapping/rewrap`): the engine then
   * passes it on and wraps nothing.
   */
  wrapInfo?: WrapInfo;
}

/** Everything a backend gets when it is mounted. */
export interface BackendContext {
  /** The mount entry (path, type, tuned TTLs). Read it afresh: tuning changes it. */
  mount: () => MountEntry;
  /** The mount's own storage view. */
  storage: JsonStore;
  /** The engine's clock. */
  clock: Clock;
  /**
   * Looks up a password policy of `sys/policies/password/<name>`. Optional so contexts built by
   * hand (tests, other hosts) need not provide it; without it, no named policy exists.
   */
  passwordPolicy?: PasswordPolicyLookup;
  /**
   * Where the backend reports the configuration changes it makes (connection configs, roles), for
   * `engine.on` listeners. Optional so contexts built by hand need not provide it.
   */
  events?: ChangeEventSink;
  /**
   * Tells the lease manager that the system behind `target` (see {@link Backend.revocationTarget})
   * answered an operation, so revocations waiting for it resume at once. Optional so contexts
   * built by hand need not provide it.
   */
  reachable?: (target: string) => void;
  /**
   * A view of this mount's storage at `sub` (e.g. `"role/"`) whose reads may be served from
   * memory, kept true as the engine's other configuration is (the change feed and the view's own
   * writes invalidate it; while the feed cannot vouch, reads go to storage). For records read on
   * every request and written rarely. Optional: without it, use `storage.sub(sub)`.
   */
  cachedStorage?: (sub: string) => JsonStore;
  /**
   * Where the engine's own storage keeps its records on a database server, if it does
   * (`Storage.recordsLocation`): the credentials a backend issues on that server must not reach
   * them. The storage's last check, or a new one with `refresh` (for rare writes: role writes).
   * Optional: absent, or resolving to `undefined`, when the storage is not on a database server.
   */
  protectedRecords?: (options?: { refresh?: boolean }) => Promise<ProtectedRecords | undefined>;
}

/**
 * A path below a mount that needs `sudo` on top of the operation's capability: Vault's root paths
 * (`PathsSpecial.Root`).
 *
 * @example
 * ```ts
 * { path: "audit" }, { path: "audit/*" }, { path: "leases", operations: ["list"] }
 * ```
 */
export interface RootPath {
  /** The path relative to the mount; a trailing `*` matches every path that starts with the rest. */
  path: string;
  /** The operations that need `sudo` there (default: every operation). */
  operations?: readonly Operation[];
}

/** A request as {@link Backend.holderOf} sees it: the operation, the path below the mount, the data. */
export interface HolderQuestion {
  /** The operation asked for. */
  operation: Operation;
  /** The path below the mount, without leading or trailing `/`. */
  path: string;
  /** The request data, validated. */
  data: RequestData;
}

/** A form of a request, below the mount: its path and data (see {@link Holding.forms}). */
export interface RequestForm {
  /** The path below the mount, without leading or trailing `/`. */
  path: string;
  /** The data the request carries in this form. */
  data: RequestData;
}

/**
 * What {@link Backend.holderOf} answers: who holds what a request acts on, and what the holder's
 * policies must still say for the rule to act for it.
 */
export interface Holding {
  /** The accessor of the holder's token. */
  accessor: string;
  /**
   * The full path (mount included) that issued what the holder holds — a lease's creds path, e.g.
   * `"database/creds/readonly"`. The rule acts only while the holder's policies, as they are now,
   * still grant `read` there.
   */
  issuedBy: string;
  /**
   * Every form of the same request, paths below the mount (`sys/leases/renew` with the lease id in
   * the body, and `sys/leases/renew/<id>`). The rule acts only when the holder's policies refuse
   * none of them explicitly — no `deny`, no refused parameter or wrapping constraint — so a policy
   * cannot be sidestepped by naming the lease the other way.
   */
  forms: readonly RequestForm[];
}

/**
 * What a renewal of a lease may grant, as the backend's configuration says now (not at issue):
 * lowering a role's `max_ttl` shortens the renewals of the leases already issued under it.
 */
export interface RenewalLimits {
  /** The effective maximum TTL (s), counted from the lease's issue time. */
  maxTtl: number;
  /** The increment (s) of a renewal that asks for none; default: the TTL the lease was issued with. */
  defaultTtl?: number;
  /**
   * Set for a periodic secret (a periodic token): every renewal grants exactly this many seconds,
   * whatever increment it asks for, still never past {@link RenewalLimits.maxTtl}. Already capped
   * by the backend, which says so in {@link RenewalLimits.warnings}.
   */
  period?: number;
  /** What the backend capped to reach these limits (e.g. a period above the mount's max), in Vault's words. */
  warnings?: readonly string[];
}

/**
 * A mounted backend. `handle` serves paths under the mount; the optional methods let the lease
 * manager renew and revoke the secrets the backend issued.
 */
export interface Backend {
  /**
   * The paths of this backend that need `sudo` (read once, at the backend's first request). A
   * backend without them costs its requests no check.
   */
  readonly rootPaths?: readonly RootPath[];
  /** Whether requests carry the caller's token ({@link BackendRequest.clientToken}); only the token backend's do. */
  readonly receivesClientToken?: boolean;
  /**
   * Exact paths of this backend served without a token, as Vault's `PathsSpecial.Unauthenticated`
   * (`sys/wrapping/lookup`). A token presented there is looked up but never required, and no
   * use of it is taken; no policy is checked.
   */
  readonly unauthenticatedPaths?: readonly string[];
  /**
   * The holder rule: for a request this backend lets the *holder* of what it acts on make without
   * a policy granting it, who that holder is and what its policies must still say
   * ({@link Holding}); `undefined` for every other request. Asked by the pipeline only after the
   * token's policies denied the request without an explicit word (no `deny`, no refused
   * constraint: see `PolicyEvaluator.refusal`); the request is allowed when the holder is the
   * caller and its policies refuse none of the request's forms explicitly and still grant `read`
   * where the thing was issued, and refused with the very same denial otherwise, so the answer
   * never tells a caller whether something exists. The system backend answers for renewing and
   * revoking one lease (see `system/lease-holder.ts`).
   */
  holderOf?(question: HolderQuestion): Promise<Holding | undefined>;
  /** Serves a request; resolves to `null` when nothing exists at the path (a 404 for reads). */
  handle(request: BackendRequest): Promise<BackendResponse | null>;
  /** Whether something exists at `path`: decides if a write is a `create` or an `update`. */
  exists?(path: string): Promise<boolean>;
  /** Revokes a secret this backend issued. Must succeed when the secret is already gone. */
  revokeSecret?(lease: LeaseRecord): Promise<void>;
  /**
   * The limits a renewal of `lease` gets now (its role's and its mount's current `max_ttl`). A
   * backend without it renews within the limits recorded at issue.
   *
   * @throws LeaseNotRenewableError when the lease can no longer be renewed (its role is gone)
   */
  renewalLimits?(lease: LeaseRecord): Promise<RenewalLimits>;
  /**
   * Optional: revokes many secrets at once (a revocation storm), each as
   * {@link Backend.revokeSecret} would, with failures isolated per secret. Resolves to one outcome
   * per lease, in order: `undefined` when revoked, else the error its revocation failed with.
   */
  revokeSecrets?(leases: readonly LeaseRecord[]): Promise<unknown[]>;
  /**
   * Optional: what revoking this lease depends on (the database backend: the connection config's
   * name). Leases with the same target wait together while it is unreachable, and resume together
   * when it answers again (see `leases/outage-gate.ts`). Absent: the mount is the target.
   */
  revocationTarget?(lease: LeaseRecord): string;
  /** Extends a secret this backend issued to `expireTime` (ms since the epoch). */
  renewSecret?(lease: LeaseRecord, expireTime: number): Promise<void>;
  /** Releases connections and timers; called on unmount and on engine close. */
  close?(): Promise<void>;
}

/** Creates a backend of one mount type. */
export type BackendFactory = (context: BackendContext) => Backend | Promise<Backend>;
