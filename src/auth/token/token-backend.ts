/**
 * The token backend, mounted at `auth/token/`.
 *
 * @module
 */
import { InvalidRequestError, LeaseNotFoundError, PermissionDeniedError } from "../../errors.js";
import type { AuthBlock, RequestData } from "../../request.js";
import type { Backend, BackendRequest, BackendResponse, RootPath } from "../../backend/backend.js";
import { PathRouter, type PathParams } from "../../backend/path-router.js";
import type { LeaseRecord } from "../../leases/lease.js";
import type { PolicyStore } from "../../policy/policy-store.js";
import { parseOptionalDuration } from "../../util/ttl.js";
import type { TokenEntry } from "./token-entry.js";
import type { CreatedToken, TokenManager } from "./token-manager.js";
import { parseTokenCreate } from "./token-request.js";
import { checkRoleName, describeRole, TOKEN_ROLE_FIELDS, type TokenRole } from "./token-role.js";
import type { TokenRoleStore } from "./token-role-store.js";
import type { TokenStore } from "./token-store.js";

/** What the token backend needs. */
export interface TokenBackendDeps {
  tokens: TokenStore;
  manager: TokenManager;
  policies: PolicyStore;
  roles: TokenRoleStore;
}

/** The `auth/token/` paths that need `sudo`, as Vault's token backend declares them. */
export const TOKEN_ROOT_PATHS: readonly RootPath[] = [{ path: "accessors" }, { path: "revoke-orphan" }, { path: "revoke-orphan/*" }];

/** The fields `create`, `create-orphan` and `create/:role_name` read (see `token-request.ts`). */
const TOKEN_CREATE_FIELDS = [
  "type", "policies", "no_default_policy", "ttl", "lease", "explicit_max_ttl", "period", "renewable", "display_name", "num_uses", "meta",
  "no_parent", "role_name", "id", "entity_alias",
] as const;

/** Creates the `auth/token/` backend. */
export function createTokenBackend(deps: TokenBackendDeps): Backend {
  const { tokens, manager, roles } = deps;
  const self = async (req: BackendRequest) => requireOwnToken(await tokens.lookupByAccessor(req.caller.accessor));
  const byToken = async (data: RequestData) => requireToken(await tokens.lookup(requireString(data.token, "token")));
  const byAccessor = async (data: RequestData) => requireToken(await tokens.lookupByAccessor(requireString(data.accessor, "accessor")));
  const lookup = (entry: TokenEntry, id = ""): BackendResponse => ({ data: manager.describe(entry, id) });
  /** `lookup`: the given token (a bad one is a 403, as Vault's), else the caller's own. */
  const lookupGiven = async (req: BackendRequest): Promise<BackendResponse> => {
    if (req.data.token === undefined || req.data.token === "") return lookup(await self(req), req.clientToken);
    const token = requireString(req.data.token, "token");
    const entry = await tokens.lookup(token);
    if (!entry) throw new PermissionDeniedError("bad token: unknown, expired or revoked");
    return lookup(entry, token);
  };

  /** Renews a token; `clientToken` is what Vault puts in `auth.client_token` ("" by accessor). */
  /** Renewed by the lease manager, within the limits `renewalLimits` below gives (the role's period, the mount's cap). */
  const renew = async (entry: TokenEntry, data: RequestData, clientToken: string): Promise<BackendResponse> => {
    const result = await manager.renew(entry, parseOptionalDuration(data.increment, "increment"));
    return { auth: authBlock({ token: clientToken, entry: result.entry }, result.duration), warnings: result.warnings.length > 0 ? result.warnings : undefined };
  };
  /** A role token renews only while its role exists (Vault's `authRenew`). */
  const roleOfToken = async (entry: TokenEntry): Promise<TokenRole | undefined> => {
    if (entry.role === undefined) return undefined;
    const role = await roles.get(entry.role);
    if (!role) throw new InvalidRequestError(`the token's role ${JSON.stringify(entry.role)} no longer exists; not renewing`);
    return role;
  };
  const revoke = async (entry: TokenEntry | undefined): Promise<null> => {
    if (entry) await manager.revoke(entry);
    return null;
  };

  const create = (kind: "create" | "create-orphan" | "role") => async (req: BackendRequest, params: PathParams): Promise<BackendResponse> => {
    const parent = await self(req);
    const input = parseTokenCreate(req.data);
    const roleName = chooseRoleName(kind, params.role_name, input.roleName);
    const path = roleName === undefined ? kind : `create/${roleName}`;
    const evaluator = await deps.policies.evaluatorFor(parent.policies);
    // `role_name` in the body of `create` is served as `create/<role>`: the caller's policies must
    // grant that path too, or the body would sidestep a policy that denies it.
    if (kind === "create" && roleName !== undefined && !evaluator.evaluate({ path: `auth/token/${path}`, operation: "update" }).allowed) {
      throw new PermissionDeniedError(`permission denied: role_name ${JSON.stringify(roleName)} needs update on "auth/token/${path}"`);
    }
    const role = roleName === undefined ? undefined : await roles.get(roleName);
    if (roleName !== undefined && !role) throw new InvalidRequestError(`unknown role ${roleName}`);
    // Vault reads no_parent only without a role; asking for an orphan the role will not make is refused, not dropped.
    if (role && input.noParent && !role.orphan) {
      throw new InvalidRequestError(`no_parent: the role ${JSON.stringify(role.name)} decides whether its tokens are orphans (its orphan is false)`);
    }
    const parentSudo = evaluator.evaluate({ path: `auth/token/${path}`, operation: "update" }).sudo;
    const created = await manager.create(parent, input, { orphan: kind === "create-orphan", parentSudo, path, role });
    const duration = created.entry.expireTime === undefined ? 0 : created.entry.ttl;
    return { auth: authBlock(created, duration), warnings: created.warnings?.length ? created.warnings : undefined };
  };

  /** The role of `roles/:name`; a `role_name` in the body (Vault's path field) must name the same. */
  const roleName = (params: PathParams, data?: RequestData) => {
    if (data?.role_name !== undefined && data.role_name !== params.name) {
      throw new InvalidRequestError(`role_name ${JSON.stringify(data.role_name)} differs from the role in the path ${JSON.stringify(params.name)}`);
    }
    return checkRoleName(params.name!);
  };
  const router = new PathRouter([
    { pattern: "create", fields: TOKEN_CREATE_FIELDS, write: create("create") },
    { pattern: "create-orphan", fields: TOKEN_CREATE_FIELDS, write: create("create-orphan") },
    { pattern: "create/:role_name", fields: TOKEN_CREATE_FIELDS, write: create("role") },
    { pattern: "lookup", fields: ["token"], read: lookupGiven, write: lookupGiven },
    { pattern: "lookup-self", fields: [], read: async (req) => lookup(await self(req), req.clientToken), write: async (req) => lookup(await self(req), req.clientToken) },
    { pattern: "lookup-accessor", fields: ["accessor"], write: async (req) => lookup(await byAccessor(req.data)) },
    {
      pattern: "renew",
      fields: ["token", "increment"],
      write: async (req) => renew(await byToken(req.data), req.data, requireString(req.data.token, "token")),
    },
    { pattern: "renew-self", fields: ["increment"], write: async (req) => renew(await self(req), req.data, req.clientToken ?? "") },
    { pattern: "renew-accessor", fields: ["accessor", "increment"], write: async (req) => renew(await byAccessor(req.data), req.data, "") },
    // Revoking a token that is already gone succeeds, as Vault's does: clean-up scripts are idempotent.
    { pattern: "revoke", fields: ["token"], write: async (req) => revoke(await tokens.lookup(requireString(req.data.token, "token"))) },
    { pattern: "revoke-self", fields: [], write: async (req) => revoke(await self(req)) },
    {
      pattern: "revoke-accessor",
      fields: ["accessor"],
      write: async (req) => {
        const entry = await tokens.lookupByAccessor(requireString(req.data.accessor, "accessor"));
        if (!entry) return { warnings: ["No token found with this accessor"] };
        return revoke(entry);
      },
    },
    {
      pattern: "revoke-orphan",
      fields: ["token"],
      write: async (req) => {
        const entry = await tokens.lookup(requireString(req.data.token, "token"));
        if (!entry) throw new InvalidRequestError("token to revoke not found");
        await manager.revokeOrphan(entry);
        return null;
      },
    },
    {
      pattern: "tidy",
      fields: [],
      write: async () => {
        const { strandedChildren, removed } = await tokens.tidyIndexes();
        for (const accessor of strandedChildren) await revoke(await tokens.lookupByAccessor(accessor));
        return { warnings: [`Tidy operation completed: ${removed} stale index records removed, ${strandedChildren.length} tokens whose parent was gone revoked`] };
      },
    },
    { pattern: "accessors", fields: [], list: async () => ({ data: { keys: await tokens.accessors() } }) },
    { pattern: "roles", fields: [], list: async () => ({ data: { keys: await roles.names() } }) },
    {
      pattern: "roles/:name",
      fields: [...TOKEN_ROLE_FIELDS, "role_name"],
      exists: async (params) => roles.exists(roleName(params)),
      read: async (_req, params) => {
        const role = await roles.get(roleName(params));
        return role ? { data: describeRole(role) } : null;
      },
      write: async (req, params) => {
        const { role_name: _path, ...fields } = req.data;
        const warnings = await roles.write(roleName(params, req.data), fields);
        return warnings.length > 0 ? { warnings } : null;
      },
      delete: async (_req, params) => {
        await roles.delete(roleName(params));
        return null;
      },
    },
  ]);

  return {
    rootPaths: TOKEN_ROOT_PATHS,
    receivesClientToken: true,
    handle: (request) => router.handle(request),
    exists: (path) => router.exists(path),
    async revokeSecret(lease: LeaseRecord) {
      const entry = await tokens.lookupByAccessor(lease.internal.accessor);
      if (entry) await manager.revoke(entry);
    },
    /**
     * Every renewal of a token's lease — `renew-self`, `renew`, `renew-accessor` and
     * `sys/leases/renew` alike — is capped here, as its creation was: its role's current period,
     * the mount's current `max_lease_ttl`. A token whose role was deleted is not renewed.
     */
    async renewalLimits(lease: LeaseRecord) {
      const entry = await tokens.lookupByAccessor(lease.internal.accessor);
      if (!entry) throw new LeaseNotFoundError(lease.id); // revoked meanwhile
      const role = await roleOfToken(entry);
      return manager.renewalLimits(entry, lease, role?.tokenPeriod || undefined);
    },
    async renewSecret(lease: LeaseRecord, expireTime: number) {
      await manager.extend(String(lease.internal.accessor), expireTime);
    },
  };
}

/**
 * The role a creation is against: the path's on `create/:role_name`, the body's `role_name` on
 * `create` (Vault's docs list it there). `create-orphan` takes none: a role decides orphaning.
 *
 * @throws InvalidRequestError for `role_name` on `create-orphan`, or a body naming another role than the path
 */
function chooseRoleName(kind: "create" | "create-orphan" | "role", fromPath: string | undefined, fromBody: string | undefined): string | undefined {
  if (kind === "role") {
    if (fromBody !== undefined && fromBody !== fromPath) {
      throw new InvalidRequestError(`role_name ${JSON.stringify(fromBody)} differs from the role in the path ${JSON.stringify(fromPath)}`);
    }
    return checkRoleName(fromPath!);
  }
  if (fromBody === undefined) return undefined;
  if (kind === "create-orphan") {
    throw new InvalidRequestError("role_name is not accepted on create-orphan: a role decides whether its tokens are orphans; use auth/token/create/<role>");
  }
  return checkRoleName(fromBody);
}

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
    num_uses: Math.max(0, entry.numUses),
  };
}
