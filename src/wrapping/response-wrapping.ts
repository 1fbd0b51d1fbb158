/**
 * Response wrapping, as Vault's: a response is kept behind a new single-use wrapping token, and
 * whoever holds that token gets the response back exactly once, before the token's TTL ends.
 *
 * Vault keeps the wrapped response in the wrapping token's cubbyhole; vaultlet has no cubbyhole,
 * so it keeps it in one storage record under `sys/wrapping/`, keyed by the wrapping token's
 * accessor (storage encrypts it at rest like every other record). The record is taken by one
 * atomic read-and-delete, so of several unwraps — in one engine or in several on the same
 * storage — exactly one gets the response.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { TokenEntry } from "../auth/token/token-entry.js";
import type { TokenManager } from "../auth/token/token-manager.js";
import type { TokenStore } from "../auth/token/token-store.js";
import type { LeaseManager } from "../leases/lease-manager.js";
import type { MountEntry } from "../mounts/mount-entry.js";
import { RESPONSE_WRAPPING_POLICY_NAME } from "../policy/builtin-policies.js";
import type { Response, WrapInfo } from "../request.js";
import { UNCHANGED } from "../storage/atomic-update.js";
import type { JsonStore } from "../storage/json-store.js";
import type { Clock } from "../util/clock.js";
import { randomId } from "../util/random.js";

/** Vault's words for a wrapping token that is unknown, used, expired, or not a wrapping token. */
export const INVALID_WRAPPING_TOKEN = "wrapping token is not valid or does not exist";

/** What a wrapped response was, as `sys/wrapping/lookup` reports it (no secret). */
export interface WrappingProperties {
  /** The path of the request whose response is wrapped. */
  creation_path: string;
  /** When it was wrapped (RFC 3339). */
  creation_time: string;
  /** The wrapping token's TTL at creation, seconds. */
  creation_ttl: number;
}

/** One wrapped response, as stored. */
interface WrappedRecord {
  /** The response envelope as it would have been returned (its `wrap_info` null). */
  response: Response;
  creationPath: string;
  /** ms since the epoch. */
  creationTime: number;
  /** seconds. */
  creationTtl: number;
  /** ms since the epoch: past it, the record is as good as gone. */
  expireTime: number;
}

/** What response wrapping works with. */
export interface ResponseWrappingDeps {
  /** The records' storage view (`sys/wrapping/`). */
  store: JsonStore;
  /** Creates and looks up wrapping tokens. */
  tokens: Pick<TokenStore, "create" | "lookup">;
  /** Takes a wrapping token's one use, and revokes it. */
  tokenUse: Pick<TokenManager, "use" | "revoke">;
  /** Expires wrapping tokens: each has a lease on the token mount, as every expiring token. */
  leases: Pick<LeaseManager, "issue">;
  /** The `auth/token/` mount entry. */
  tokenMount: () => MountEntry;
  clock: Clock;
  /** Told of each wrapping token created (events and metrics, as for every token); must not throw. */
  onTokenCreated?: (entry: TokenEntry) => void;
}

/** What the request being wrapped tells about itself. */
export interface WrapRequest {
  /** The wrapping token's TTL, seconds (> 0). */
  ttl: number;
  /** The request path (`creation_path`). */
  path: string;
  /** The requesting token's accessor and display name, when there is one. */
  caller?: { accessor: string; displayName: string };
}

/** Wraps responses, and unwraps, looks up and rewraps them by their wrapping tokens. */
export class ResponseWrapping {
  readonly #deps: ResponseWrappingDeps;

  /** @param deps - stores and services wrapping uses */
  constructor(deps: ResponseWrappingDeps) {
    this.#deps = deps;
  }

  /**
   * Keeps `response` behind a new wrapping token and returns the envelope Vault returns instead:
   * no data, auth or lease, only `wrap_info` (and the warnings, which hold no secret).
   */
  async wrap(response: Response, request: WrapRequest): Promise<Response> {
    const wrapInfo = await this.#store(response, request.ttl, request.path, request.caller);
    if (response.auth) wrapInfo.wrapped_accessor = response.auth.accessor;
    return { ...emptyEnvelope(response.request_id), warnings: response.warnings, wrap_info: wrapInfo };
  }

  /**
   * The wrapping token of `token` (a presented wrapping token), without using it.
   *
   * @throws InvalidRequestError when it is not a live wrapping token
   */
  async resolve(token: unknown): Promise<TokenEntry> {
    const entry = await this.#deps.tokens.lookup(token);
    if (!entry || !isWrappingToken(entry)) throw new InvalidRequestError(INVALID_WRAPPING_TOKEN);
    return entry;
  }

  /** Whether `caller` (a request's token) is itself a wrapping token. */
  isWrappingToken(policies: readonly string[]): boolean {
    return policies.length === 1 && policies[0] === RESPONSE_WRAPPING_POLICY_NAME;
  }

  /**
   * Takes the one use of a wrapping token presented in a request body (a third party unwraps),
   * then revokes it once `action` is done. The request's own token was used by the pipeline.
   */
  async usingThirdParty<T>(entry: TokenEntry, action: () => Promise<T>): Promise<T> {
    await this.#deps.tokenUse.use(entry).catch(() => {
      throw new InvalidRequestError(INVALID_WRAPPING_TOKEN);
    });
    try {
      return await action();
    } finally {
      await this.#deps.tokenUse.revoke(entry);
    }
  }

  /**
   * Takes the wrapped response of the wrapping token with this accessor: once. Its token's use
   * is the caller's to take (the pipeline's, or {@link ResponseWrapping.usingThirdParty}).
   *
   * @throws InvalidRequestError when there is none (already unwrapped, expired, or never wrapped)
   */
  async unwrap(accessor: string): Promise<Response> {
    return (await this.#take(accessor)).response;
  }

  /**
   * What the wrapping token with this accessor wraps: its path, creation time and TTL.
   *
   * @throws InvalidRequestError when it wraps nothing (any more)
   */
  async lookup(accessor: string): Promise<WrappingProperties> {
    const record = await this.#deps.store.get<WrappedRecord>(accessor);
    if (!record || this.#expired(record)) throw new InvalidRequestError(INVALID_WRAPPING_TOKEN);
    return {
      creation_path: record.creationPath,
      creation_time: new Date(record.creationTime).toISOString(),
      creation_ttl: record.creationTtl,
    };
  }

  /**
   * Moves the wrapped response of `accessor` behind a new wrapping token with the same creation
   * TTL and path. The new token exists before the old record is taken, so a failure leaves the
   * old token working, never the response lost; when the old record was taken meanwhile (a
   * concurrent unwrap), the new token is discarded and the rewrap fails.
   */
  async rewrap(accessor: string): Promise<WrapInfo> {
    const record = await this.#deps.store.get<WrappedRecord>(accessor);
    if (!record || this.#expired(record)) throw new InvalidRequestError(INVALID_WRAPPING_TOKEN);
    const wrapInfo = await this.#store(record.response, record.creationTtl, record.creationPath, undefined);
    try {
      await this.#take(accessor);
    } catch (err) {
      await this.discard(wrapInfo.accessor);
      throw err;
    }
    return wrapInfo;
  }

  /** Forgets the wrapped response of a wrapping token (revoked, or expired). */
  async discard(accessor: string): Promise<void> {
    await this.#deps.store.delete(accessor);
  }

  async #store(response: Response, ttl: number, path: string, caller: WrapRequest["caller"]): Promise<WrapInfo> {
    const now = this.#deps.clock.now();
    const accessor = randomId();
    let token = "";
    const record: Omit<WrappedRecord, "expireTime"> = { response: { ...response, wrap_info: null }, creationPath: path, creationTime: now, creationTtl: ttl };
    await this.#deps.leases.issue(
      { mount: this.#deps.tokenMount(), path: "create", tokenAccessor: caller?.accessor ?? accessor },
      { ttl: { ttl, maxTtl: ttl }, renewable: false, internal: { accessor }, owner: accessor },
      async (lease) => {
        const { expireTime } = lease;
        // The record first: a token that exists always has its response to give. If the token
        // cannot be made, the record goes too (the lease, still pending, is removed by issue).
        await this.#deps.store.put(accessor, { ...record, expireTime } satisfies WrappedRecord);
        const created = await this.#createToken(accessor, ttl, expireTime, path, caller, lease.id).catch(async (err: unknown) => {
          await this.discard(accessor).catch(() => undefined);
          throw err;
        });
        token = created.token;
        this.#deps.onTokenCreated?.(created.entry);
        return {};
      },
    );
    return { token, accessor, ttl, creation_time: new Date(now).toISOString(), creation_path: path };
  }

  /** The wrapping token: the `response-wrapping` policy alone, one use, expiring with its lease. */
  #createToken(accessor: string, ttl: number, expireTime: number, path: string, caller: WrapRequest["caller"], leaseId: string) {
    return this.#deps.tokens.create({
      accessor,
      policies: [RESPONSE_WRAPPING_POLICY_NAME],
      displayName: caller?.displayName ?? "",
      ttl,
      expireTime,
      explicitMaxExpireTime: expireTime,
      renewable: false,
      numUses: 1,
      meta: {},
      path,
      leaseId,
    });
  }

  /** Reads and deletes the record in one atomic step: of concurrent takers, one gets it. */
  async #take(accessor: string): Promise<WrappedRecord> {
    const { previous } = await this.#deps.store.update<WrappedRecord>(accessor, (current) => (current === undefined ? UNCHANGED : undefined));
    if (!previous || this.#expired(previous)) throw new InvalidRequestError(INVALID_WRAPPING_TOKEN);
    return previous;
  }

  #expired(record: WrappedRecord): boolean {
    return this.#deps.clock.now() >= record.expireTime;
  }
}

/** Whether a token is a wrapping token: its one policy is `response-wrapping`. */
function isWrappingToken(entry: TokenEntry): boolean {
  return entry.policies.length === 1 && entry.policies[0] === RESPONSE_WRAPPING_POLICY_NAME;
}

function emptyEnvelope(requestId: string): Response {
  return { request_id: requestId, lease_id: "", lease_duration: 0, renewable: false, data: null, warnings: null, auth: null, wrap_info: null };
}
