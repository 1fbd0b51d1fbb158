/**
 * The token lifecycle: creation with Vault's parent/child rules, expiry through the lease manager,
 * renewal, use counts, and revocation that cascades to child tokens and to every lease a token
 * created.
 *
 * @module
 */
import { InvalidRequestError, PermissionDeniedError } from "../../errors.js";
import type { RenewalLimits } from "../../backend/backend.js";
import type { LeaseRecord } from "../../leases/lease.js";
import type { LeaseManager } from "../../leases/lease-manager.js";
import type { PolicyStore } from "../../policy/policy-store.js";
import type { MountEntry } from "../../mounts/mount-entry.js";
import type { Clock } from "../../util/clock.js";
import { randomId } from "../../util/random.js";
import { SYSTEM_DEFAULT_TTL_SECONDS, SYSTEM_MAX_TTL_SECONDS, formatDuration } from "../../util/ttl.js";
import type { TokenEntry } from "./token-entry.js";
import type { TokenCreateParams } from "./token-request.js";
import type { TokenStore } from "./token-store.js";
import { confirmTokenLive } from "./token-liveness.js";
import { resolveTokenPolicies } from "./token-policies.js";
import { roleCreateTerms, type TokenRole } from "./token-role.js";

/** A century, in seconds: the "no maximum" of periodic tokens. */
const NO_MAX_TTL_SECONDS = 100 * 365 * 86_400;

/** What the token manager works with. */
export interface TokenManagerDeps {
  tokens: TokenStore;
  leases: LeaseManager;
  policies: PolicyStore;
  clock: Clock;
  /** The `auth/token/` mount entry (its tuned TTLs apply to tokens). */
  mount: () => MountEntry;
  /** Told when a token is created or revoked (for events and metrics); must not throw. */
  onEvent?: (event: { type: "created" | "revoked"; entry: TokenEntry }) => void;
}

/** A created token: the token itself is shown once and never stored. */
export interface CreatedToken {
  token: string;
  entry: TokenEntry;
  /** What the creation capped (TTL, `explicit_max_ttl`, `period`), in Vault's words. */
  warnings?: string[];
}

/** A new token's lifetime once every cap is applied; `ttl` 0 = never expires. */
interface TokenLifetime {
  ttl: number;
  maxTtl: number;
  explicitMaxTtl: number | undefined;
  period: number | undefined;
  warnings: string[];
}

/** Creates, renews, uses and revokes tokens. */
export class TokenManager {
  readonly #deps: TokenManagerDeps;

  /** @param deps - stores and services the tokens live in */
  constructor(deps: TokenManagerDeps) {
    this.#deps = deps;
  }

  /**
   * Creates a child of `parent` (or an orphan), against a token role when `options.role` is set.
   *
   * @param options.parentSudo - whether the parent has `sudo` on the creating path (needed for
   *   `no_parent`, `period` and policies outside its own without a role)
   * @param options.path - the creating path below the mount (`"create"`, `"create-orphan"`,
   *   `"create/<role>"`): the token's `path` and the prefix of its lease
   * @throws PermissionDeniedError when the parent is use-limited, when asking for policies the
   *   parent lacks, or for `no_parent` or `period` without root or sudo
   * @throws InvalidRequestError for policies the role does not allow
   */
  async create(
    parent: TokenEntry,
    params: TokenCreateParams,
    options: { orphan: boolean; parentSudo: boolean; path: string; role?: TokenRole },
  ): Promise<CreatedToken> {
    const { role } = options;
    checkCreationRights(parent, params, { orphan: options.orphan || role !== undefined, parentSudo: options.parentSudo });
    const policies = resolveTokenPolicies({
      requested: params.policies,
      noDefaultPolicy: params.noDefaultPolicy,
      parent: parent.policies,
      sudo: options.parentSudo || parent.policies.includes("root"),
      role,
    });
    const terms = role ? roleCreateTerms(role, params) : { ...params, warnings: [] };
    const lifetime = this.#lifetime({ ...params, ...terms }, policies);
    lifetime.warnings.unshift(...terms.warnings);
    // A role decides orphaning (no_parent is not read then); else create-orphan or no_parent.
    const orphan = role ? role.orphan : options.orphan || params.noParent;
    const path = role?.pathSuffix ? `${options.path}/${role.pathSuffix}` : options.path;
    const accessor = randomId();
    const spec = {
      policies,
      displayName: params.displayName,
      ttl: lifetime.ttl,
      period: lifetime.period,
      renewable: terms.renewable && lifetime.ttl > 0,
      numUses: terms.numUses,
      meta: params.meta,
      path: `auth/token/${path}`,
      accessor,
      parentAccessor: orphan ? undefined : parent.accessor,
      explicitMaxExpireTime: lifetime.explicitMaxTtl ? this.#deps.clock.now() + lifetime.explicitMaxTtl * 1000 : undefined,
      ...(role ? { role: role.name } : {}),
    };
    // A child is recorded (with its parent/ entry) before its parent is confirmed: a revocation
    // of the parent that this check misses lists the child (see leases/pending-lease.ts).
    const confirm = spec.parentAccessor === undefined ? undefined : () => this.confirmLive(parent);
    if (lifetime.ttl === 0) {
      const created = await this.#deps.tokens.create(spec);
      await confirm?.().catch(async (err: unknown) => {
        await this.revoke(created.entry);
        throw err;
      });
      this.#deps.onEvent?.({ type: "created", entry: created.entry });
      return { ...created, warnings: lifetime.warnings };
    }
    let created: CreatedToken | undefined;
    await this.#deps.leases.issue(
      { mount: this.#deps.mount(), path, tokenAccessor: parent.accessor, confirm },
      { ttl: { ttl: lifetime.ttl, maxTtl: lifetime.maxTtl }, renewable: spec.renewable, internal: { accessor }, owner: accessor },
      async (lease) => {
        created = await this.#deps.tokens.create({ ...spec, expireTime: lease.expireTime, leaseId: lease.id });
        return {};
      },
    );
    this.#deps.onEvent?.({ type: "created", entry: created!.entry });
    return { ...created!, warnings: lifetime.warnings };
  }

  /**
   * Renews a token: a periodic token back to its period, any other by `increment` (default: its
   * TTL), never past its `explicit_max_ttl` or the maximum TTL — as the lease manager renews it,
   * within {@link TokenManager.renewalLimits} (so `sys/leases/renew` of a token's lease gets the
   * same caps).
   *
   * @throws InvalidRequestError for a token that does not expire or is not renewable
   */
  async renew(entry: TokenEntry, increment: number | undefined): Promise<{ entry: TokenEntry; duration: number; warnings: string[] }> {
    if (!entry.leaseId) throw new InvalidRequestError("this token does not expire and cannot be renewed");
    if (!entry.renewable) throw new InvalidRequestError("this token is not renewable");
    const result = await this.#deps.leases.renew(entry.leaseId, increment);
    const renewed = (await this.#deps.tokens.lookupByAccessor(entry.accessor)) ?? entry;
    return { entry: renewed, duration: result.duration, warnings: result.warnings };
  }

  /**
   * What a renewal of the token `entry` (whose lease is `lease`) may grant now, as Vault's
   * `CalculateTTL` decides on every renewal: the cap is the token mount's `max_lease_ttl` as tuned
   * now (never above the system's maximum). A token renews to its period — its role's current
   * `token_period`, else its own — lowered to the cap with creation's warning, when it has one; a
   * token periodic since creation has no maximum but its `explicit_max_ttl`, any other renews
   * within the cap and its `explicit_max_ttl`, both counted from its creation.
   *
   * @param rolePeriod - the current `token_period` of the token's role, when it has one
   */
  renewalLimits(entry: TokenEntry, lease: Pick<LeaseRecord, "issueTime">, rolePeriod: number | undefined): RenewalLimits {
    const cap = this.#cap();
    // The explicit max is a point in time fixed at creation; as seconds from the lease's issue.
    const explicitMaxTtl =
      entry.explicitMaxExpireTime === undefined ? undefined : Math.max(0, Math.floor((entry.explicitMaxExpireTime - lease.issueTime) / 1000));
    // Whether the token lives without a maximum was decided at its creation (a periodic token): a
    // role given a period later sets its tokens' renewals, not a life without end.
    const maxTtl = entry.period ? (explicitMaxTtl ?? NO_MAX_TTL_SECONDS) : Math.min(explicitMaxTtl ?? cap, cap);
    const period = rolePeriod || entry.period;
    if (!period) return { maxTtl };
    const warnings: string[] = [];
    return { maxTtl, period: capAt(cap, period, "period", warnings)!, warnings };
  }

  /** Moves a token's expiry (called by its lease's renewal). */
  async extend(accessor: string, expireTime: number): Promise<void> {
    await this.#deps.tokens.setExpireTime(accessor, expireTime);
  }

  /**
   * Consumes one use of a limited-use token, atomically across every engine on this storage, before
   * its request is dispatched. Returns `true` when that was its last use: the caller serves the
   * request, then revokes the token.
   *
   * @throws PermissionDeniedError when the token has no use left (concurrent requests took them)
   *   or was revoked since it was looked up
   */
  async use(entry: TokenEntry): Promise<boolean> {
    if (entry.numUses === 0) return false; // unlimited at creation, unlimited for ever
    const outcome = await this.#deps.tokens.consumeUse(entry);
    if (outcome === "refused") throw new PermissionDeniedError("permission denied: missing, invalid or expired token");
    return outcome === "last";
  }

  /**
   * Resolves when the token is still stored (not revoked); the re-check a request in flight makes
   * after recording what it creates for the token, before that becomes live (see
   * `leases/pending-lease.ts`).
   *
   * @throws PermissionDeniedError when the token was revoked since the request looked it up
   */
  async confirmLive(entry: TokenEntry): Promise<void> {
    await confirmTokenLive(this.#deps.tokens, entry);
  }

  /**
   * The storage key whose existence {@link TokenManager.confirmLive} checks (the token's record),
   * for a write that lets storage check it in the same step.
   */
  liveKey(entry: TokenEntry): string {
    return this.#deps.tokens.recordKey(entry);
  }

  /**
   * Revokes a token: it stops working at once, then its child tokens are revoked (recursively),
   * then every lease it created (so database users go). Orphans are not its children and survive.
   * A lease whose revocation fails stays, retried by the lease manager.
   *
   * The order is what makes revocation safe against requests in flight (`leases/pending-lease.ts`):
   * the token's record goes first, and only then are its children and leases listed from storage,
   * so whatever a request in flight records before its re-check finds the token is listed here.
   */
  async revoke(entry: TokenEntry): Promise<void> {
    await this.#deps.tokens.delete(entry);
    this.#deps.onEvent?.({ type: "revoked", entry });
    for (const childAccessor of await this.#deps.tokens.childAccessors(entry.accessor)) {
      const child = await this.#deps.tokens.lookupByAccessor(childAccessor);
      if (child) await this.revoke(child);
      else await this.#deps.tokens.deleteChildRecord(entry.accessor, childAccessor);
    }
    await this.#revokeLeasesOf(entry);
    if (entry.leaseId) await this.#deps.leases.forget(entry.leaseId);
  }

  async #revokeLeasesOf(entry: TokenEntry): Promise<void> {
    const ids = (await this.#deps.leases.idsForToken(entry.accessor)).filter((id) => id !== entry.leaseId);
    // A lease already gone is fine; one whose revocation fails stays scheduled for retry by the
    // lease manager, so neither stops the token's revocation. A pending one is cancelled.
    await this.#deps.leases.revokeManyForToken(ids, entry.accessor).catch(() => undefined);
  }

  /**
   * Revokes a token but not its children, which become orphans (Vault's `revoke-orphan`): it stops
   * working at once, each child loses its parent (and stays valid), then every lease it created is
   * revoked. Ordered as {@link TokenManager.revoke}: a child created in flight either is listed
   * here and orphaned, or finds its parent gone and undoes itself.
   */
  async revokeOrphan(entry: TokenEntry): Promise<void> {
    await this.#deps.tokens.delete(entry);
    this.#deps.onEvent?.({ type: "revoked", entry });
    for (const childAccessor of await this.#deps.tokens.childAccessors(entry.accessor)) {
      await this.#deps.tokens.orphanChild(entry.accessor, childAccessor);
    }
    await this.#revokeLeasesOf(entry);
    if (entry.leaseId) await this.#deps.leases.forget(entry.leaseId);
  }

  /**
   * Vault's token lookup view. `id` is the token when the caller presented it (`lookup`,
   * `lookup-self`); vaultlet never stores it, so a lookup by accessor answers `""`, as Vault's does.
   */
  describe(entry: TokenEntry, id = ""): Record<string, unknown> {
    const now = this.#deps.clock.now();
    const view: Record<string, unknown> = {
      id,
      accessor: entry.accessor,
      policies: entry.policies,
      display_name: entry.displayName,
      creation_time: Math.floor(entry.creationTime / 1000),
      creation_ttl: entry.ttl,
      issue_time: new Date(entry.creationTime).toISOString(),
      expire_time: entry.expireTime === undefined ? null : new Date(entry.expireTime).toISOString(),
      explicit_max_ttl: entry.explicitMaxExpireTime === undefined ? 0 : Math.round((entry.explicitMaxExpireTime - entry.creationTime) / 1000),
      ttl: entry.expireTime === undefined ? 0 : Math.max(0, Math.floor((entry.expireTime - now) / 1000)),
      renewable: entry.renewable && entry.expireTime !== undefined && entry.expireTime > now,
      num_uses: Math.max(0, entry.numUses),
      orphan: entry.parentAccessor === undefined,
      meta: Object.keys(entry.meta).length === 0 ? null : entry.meta,
      path: entry.path,
      entity_id: "",
      type: "service",
    };
    // As Vault's: `period` and `role` only when the token has them.
    if (entry.period) view.period = entry.period;
    if (entry.role !== undefined) view.role = entry.role;
    if (entry.lastRenewalTime !== undefined) {
      view.last_renewal_time = Math.floor(entry.lastRenewalTime / 1000);
      view.last_renewal = new Date(entry.lastRenewalTime).toISOString();
    }
    return view;
  }

  /**
   * TTL and max of a new token, as Vault's `CalculateTTL`: the cap is the token mount's tuned
   * `max_lease_ttl`, never above the system's maximum; `explicit_max_ttl` and `period` above the cap
   * are lowered to it, and a TTL above the effective max to that, each with a warning. A periodic
   * token without `explicit_max_ttl` has no max (each renewal grants its period again).
   */
  #lifetime(params: Pick<TokenCreateParams, "ttl" | "explicitMaxTtl" | "period">, policies: string[]): TokenLifetime {
    const mount = this.#deps.mount().config;
    if (policies.includes("root") && !params.ttl && !params.period && !params.explicitMaxTtl) {
      return { ttl: 0, maxTtl: 0, explicitMaxTtl: undefined, period: undefined, warnings: [] };
    }
    const warnings: string[] = [];
    const cap = this.#cap();
    const explicitMaxTtl = capAt(cap, params.explicitMaxTtl, "explicit_max_ttl", warnings);
    const period = capAt(cap, params.period, "period", warnings);
    const maxTtl = explicitMaxTtl || (period ? NO_MAX_TTL_SECONDS : cap);
    const wanted = period || params.ttl || mount.default_lease_ttl || SYSTEM_DEFAULT_TTL_SECONDS;
    const limit = Math.min(maxTtl, cap);
    if (wanted > limit) {
      warnings.push(`TTL of ${formatDuration(wanted)} exceeded the effective max_ttl of ${formatDuration(limit)}; TTL value is capped accordingly`);
    }
    return { ttl: Math.min(wanted, limit), maxTtl, explicitMaxTtl, period, warnings };
  }

  /** The most any token may live or renew by: the token mount's `max_lease_ttl` as tuned now, never above the system's. */
  #cap(): number {
    const { max_lease_ttl } = this.#deps.mount().config;
    return Math.min(max_lease_ttl || SYSTEM_MAX_TTL_SECONDS, SYSTEM_MAX_TTL_SECONDS);
  }
}

/**
 * `value` lowered to `cap`, with Vault's warning naming `field` when it was; `undefined` for an
 * unset (0 or absent) value. Creation and renewal cap alike.
 */
function capAt(cap: number, value: number | undefined, field: string, warnings: string[]): number | undefined {
  if (!value || value <= cap) return value || undefined;
  warnings.push(`${field} of ${formatDuration(value)} exceeded the effective max_ttl of ${formatDuration(cap)}; ${field} value is capped accordingly`);
  return cap;
}

/**
 * Vault's creation rights: a use-limited token creates no child (else one use would mint
 * unlimited ones), and `no_parent` and `period` (a token renewable for ever) need root or sudo.
 *
 * @throws PermissionDeniedError naming the rule
 */
function checkCreationRights(parent: TokenEntry, params: TokenCreateParams, options: { orphan: boolean; parentSudo: boolean }): void {
  const privileged = parent.policies.includes("root") || options.parentSudo;
  if (parent.numUses !== 0) throw new PermissionDeniedError("permission denied: a use-limited token cannot create child tokens");
  if (params.noParent && !options.orphan && !privileged) {
    throw new PermissionDeniedError("permission denied: no_parent needs a root token or sudo on this path; use auth/token/create-orphan");
  }
  if (params.period && !privileged) {
    throw new PermissionDeniedError("permission denied: a periodic token (period) needs a root token or sudo on this path");
  }
}
