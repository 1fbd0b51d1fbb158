/**
 * The token backend, mounted at `auth/token/`.
 *
 * @module
 */
import { InvalidRequestError, PermissionDeniedError } from "../../errors.js";
import type { AuthBlock, RequestData } from "../../request.js";
import type { Backend, BackendRequest, BackendResponse, RootPath } from "../../backend/backend.js";
import { PathRouter } from "../../backend/path-router.js";
import type { LeaseRecord } from "../../leases/lease.js";
import type { PolicyStore } from "../../policy/policy-store.js";
import { parseOptionalDuration } from "../../util/ttl.js";
import type { TokenEntry } from "./token-entry.js";
import type { CreatedToken, TokenManager } from "./token-manager.js";
import { parseTokenCreate } from "./token-request.js";
import type { TokenStore } from "./token-store.js";

/** What the token backend needs. */
export interface TokenBackendDeps {
  tokens: TokenStore;
  manager: TokenManager;
  policies: PolicyStore;
}

/** The `auth/token/` paths that need `sudo`, as Vault's token backend declares them. */
export const TOKEN_ROOT_PATHS: readonly RootPath[] = [{ path: "accessors" }, { path: "revoke-orphan" }, { path: "revoke-orphan/*" }];

/** Creates the `auth/token/` backend. */
export function createTokenBackend(deps: TokenBackendDeps): Backend {
  const { tokens, manager } = deps;
  const self = async (req: BackendRequest) => requireOwnToken(await tokens.lookupByAccessor(req.caller.accessor));
  const byToken = async (data: RequestData) => requireToken(await tokens.lookup(requireString(data.token, "token")));
  const byAccessor = async (data: RequestData) => requireToken(await tokens.lookupByAccessor(requireString(data.accessor, "accessor")));
  const lookup = async (entry: TokenEntry): Promise<BackendResponse> => ({ data: manager.describe(entry) });
  const renew = async (entry: TokenEntry, data: RequestData): Promise<BackendResponse> => {
    const result = await manager.renew(entry, parseOptionalDuration(data.increment, "increment"));
    return { auth: authBlock({ token: "", entry: result.entry }, result.duration), warnings: result.warning ? [result.warning] : undefined };
  };
  const revoke = async (entry: TokenEntry): Promise<null> => {
    await manager.revoke(entry);
    return null;
  };
  const create = (orphan: boolean) => async (req: BackendRequest): Promise<BackendResponse> => {
    const parent = await self(req);
    const evaluator = await deps.policies.evaluatorFor(parent.policies);
    const path = `auth/token/${orphan ? "create-orphan" : "create"}`;
    const parentSudo = evaluator.evaluate({ path, operation: "update" }).sudo;
    const created = await manager.create(parent, parseTokenCreate(req.data), { orphan, parentSudo, path });
    const duration = created.entry.expireTime === undefined ? 0 : created.entry.ttl;
    return { auth: authBlock(created, duration), warnings: created.warnings?.length ? created.warnings : undefined };
  };

  const router = new PathRouter([
    { pattern: "create", fields: TOKEN_CREATE_FIELDS, write: create(false) },
    { pattern: "create-orphan", fields: TOKEN_CREATE_FIELDS, write: create(true) },
    { pattern: "lookup", fields: ["token"], write: async (req) => lookup(await byToken(req.data)) },
    { pattern: "lookup-self", fields: [], read: async (req) => lookup(await self(req)) },
    { pattern: "lookup-accessor", fields: ["accessor"], write: async (req) => lookup(await byAccessor(req.data)) },
    { pattern: "renew", fields: ["token", "increment"], write: async (req) => renew(await byToken(req.data), req.data) },
    { pattern: "renew-self", fields: ["increment"], write: async (req) => renew(await self(req), req.data) },
    { pattern: "renew-accessor", fields: ["accessor", "increment"], write: async (req) => renew(await byAccessor(req.data), req.data) },
    { pattern: "revoke", fields: ["token"], write: async (req) => revoke(await byToken(req.data)) },
    { pattern: "revoke-self", fields: [], write: async (req) => revoke(await self(req)) },
    { pattern: "revoke-accessor", fields: ["accessor"], write: async (req) => revoke(await byAccessor(req.data)) },
    { pattern: "accessors", fields: [], list: async () => ({ data: { keys: await tokens.accessors() } }) },
  ]);

  return {
    rootPaths: TOKEN_ROOT_PATHS,
    handle: (request) => router.handle(request),
    async revokeSecret(lease: LeaseRecord) {
      const entry = await tokens.lookupByAccessor(lease.internal.accessor);
      if (entry) await manager.revoke(entry);
    },
    async renewSecret(lease: LeaseRecord, expireTime: number) {
      await manager.extend(String(lease.internal.accessor), expireTime);
    },
  };
}

/** The fields `create` and `create-orphan` read (see `token-request.ts`). */
const TOKEN_CREATE_FIELDS = [
  "type", "policies", "no_default_policy", "ttl", "explicit_max_ttl", "period", "renewable", "display_name", "num_uses", "meta", "no_parent",
] as const;

function requireToken(entry: TokenEntry | undefined): TokenEntry {
  if (!entry) throw new InvalidRequestError("bad token: unknown, expired or revoked");
  return entry;
}

/** The caller's own token: gone only when it was revoked while its request was in flight. */
function requireOwnToken(entry: TokenEntry | undefined): TokenEntry {
  if (!entry) throw new PermissionDeniedError("permission denied: the token was revoked while this request was in flight");
  return entry;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) throw new InvalidRequestError(`${field} is required`);
  return value;
}

function authBlock({ token, entry }: CreatedToken, duration: number): AuthBlock {
  return {
    client_token: token,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: Object.keys(entry.meta).length === 0 ? null : entry.meta,
    lease_duration: duration,
    renewable: entry.renewable,
    entity_id: "",
    token_type: "service",
    orphan: entry.parentAccessor === undefined,
  };
}
