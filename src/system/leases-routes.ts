/**
 * `sys/leases`: look up, list, renew and revoke leases.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { PathRoute } from "../backend/path-router.js";
import type { RequestData } from "../request.js";
import { parseOptionalDuration } from "../util/ttl.js";
import { immediateChildren } from "../util/key-listing.js";
import type { LeaseManager } from "../leases/lease-manager.js";
import type { TokenStore } from "../auth/token/token-store.js";
import type { LeaseRecord } from "../leases/lease.js";
import { waitsForDatabase } from "../leases/lease-tidy.js";

/** What the lease routes use. */
export interface LeaseRoutesDeps {
  /** The leases. */
  leases: Pick<LeaseManager, "get" | "renew" | "revokeIfPresent" | "lookup" | "listIds" | "revokeMatching" | "count" | "tidy" | "listIrrevocable" | "listOverdue">;
  /** Tells tidy whether a lease's token still exists. */
  tokens: Pick<TokenStore, "lookupByAccessor">;
  /** The accessor of the mount with this UUID (Vault's `mount_id` of an irrevocable lease), if it exists. */
  mountAccessor: (mountUuid: string) => string | undefined;
}

/** The routes of `sys/leases…` (and Vault's older `sys/renew`, `sys/revoke` aliases). */
export function leaseRoutes({ leases, tokens, mountAccessor }: LeaseRoutesDeps): PathRoute[] {
  const renew = async (data: RequestData, fromPath: string | undefined) => {
    const id = leaseIdFrom(data, fromPath);
    const result = await leases.renew(id, parseOptionalDuration(data.increment, "increment"));
    return {
      lease: { id, duration: result.duration, renewable: result.lease.renewable },
      warnings: result.warnings.length > 0 ? result.warnings : undefined,
    };
  };
  const revoke = async (data: RequestData, fromPath: string | undefined) => {
    await leases.revokeIfPresent(leaseIdFrom(data, fromPath), syncFlag(data));
    return null;
  };
  const revokePrefix = async (data: RequestData, prefix: string | undefined) => {
    await leases.revokeMatching(requirePrefix(prefix), { sync: syncFlag(data) });
    return null;
  };
  return [
    {
      // Vault's list of irrevocable leases (sudo), and vaultlet's of overdue ones; any other type
      // has nothing to list, as in Vault.
      pattern: "leases",
      fields: ["type", "limit", "include_child_namespaces"],
      read: async (req) => {
        const type = String(req.data.type ?? "").toLowerCase();
        if (type !== "irrevocable" && type !== "overdue") return null;
        refuseChildNamespaces(req.data);
        const given = parseLimit(req.data.limit);
        const limit = given === null ? undefined : (given ?? DEFAULT_IRREVOCABLE_LIMIT);
        const { leases: found, total } = type === "irrevocable" ? await leases.listIrrevocable(limit) : await leases.listOverdue(limit);
        const entry = (lease: LeaseRecord) => ({ lease_id: lease.id, mount_id: mountAccessor(lease.mountUuid) ?? "", error: lease.lastError ?? "" });
        return {
          data: {
            lease_count: found.length,
            leases: found.map((lease) =>
              type === "irrevocable"
                ? entry(lease)
                : {
                    ...entry(lease),
                    expire_time: new Date(lease.expireTime).toISOString(),
                    revoke_attempts: lease.revokeAttempts,
                    waiting_for_database: waitsForDatabase(lease),
                  },
            ),
          },
          warnings: limit !== undefined && total > limit ? [tooMany(type, limit)] : undefined,
        };
      },
    },
    { pattern: "leases/lookup", fields: ["lease_id"], write: async (req) => ({ data: await leases.lookup(leaseIdFrom(req.data, undefined)) }) },
    {
      pattern: "leases/lookup/*prefix",
      fields: [],
      list: async (_req, { prefix }) => {
        const keys = await listChildren(leases, prefix!);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    { pattern: "leases/renew/*id", fields: ["lease_id", "increment"], write: (req, { id }) => renew(req.data, id) },
    { pattern: "renew/*id", fields: ["lease_id", "increment"], write: (req, { id }) => renew(req.data, id) },
    { pattern: "leases/revoke/*id", fields: ["lease_id", "sync"], write: (req, { id }) => revoke(req.data, id) },
    { pattern: "revoke/*id", fields: ["lease_id", "sync"], write: (req, { id }) => revoke(req.data, id) },
    { pattern: "leases/revoke-prefix/*prefix", fields: ["sync"], write: (req, { prefix }) => revokePrefix(req.data, prefix) },
    // Vault's older alias, still used by clients such as node-vault's `revokePrefix`.
    { pattern: "revoke-prefix/*prefix", fields: ["sync"], write: (req, { prefix }) => revokePrefix(req.data, prefix) },
    {
      pattern: "leases/count",
      fields: ["type", "include_child_namespaces"],
      read: async (req) => {
        const type = req.data.type ?? "all";
        if (type !== "all" && type !== "irrevocable") throw new InvalidRequestError('type must be "all" or "irrevocable"');
        refuseChildNamespaces(req.data);
        return { data: await leases.count(type) };
      },
    },
    {
      // Runs to completion (Vault starts it in the background); answers what it did.
      pattern: "leases/tidy",
      fields: [],
      write: async () => ({
        data: await leases.tidy(async (accessor) => (await tokens.lookupByAccessor(accessor)) !== undefined),
      }),
    },
    { pattern: "leases/revoke-force/*prefix", fields: [], write: (_req, { prefix }) => revokeForce(leases, prefix) },
    { pattern: "revoke-force/*prefix", fields: [], write: (_req, { prefix }) => revokeForce(leases, prefix) },
  ];
}

/** Vault's cap on the irrevocable leases listed when no `limit` is given (the overdue ones' too). */
const DEFAULT_IRREVOCABLE_LIMIT = 10_000;
const tooMany = (type: string, limit: number) => `more than ${limit} ${type} leases exist; only the first ${limit} are listed: give limit "none" for all`;

/** `limit`: absent (Vault's default cap), `"none"` (all: `null`), or a positive integer. */
function parseLimit(value: unknown): number | null | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (String(value).toLowerCase() === "none") return null;
  const limit = typeof value === "number" ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidRequestError('limit must be "none" or a positive integer');
  return limit;
}

function refuseChildNamespaces(data: RequestData): void {
  if (optionalFlag(data.include_child_namespaces, "include_child_namespaces")) {
    throw new InvalidRequestError("include_child_namespaces is not supported: vaultlet has no namespaces, so there are no child namespaces to include");
  }
}

/**
 * Revoke-force: every revocation is tried; a lease whose revocation fails is forgotten, and the
 * answer warns that its secret may still exist (Vault only logs it).
 */
async function revokeForce(leases: LeaseRoutesDeps["leases"], prefix: string | undefined) {
  const { forgotten } = await leases.revokeMatching(requirePrefix(prefix), { force: true });
  if (forgotten.length === 0) return null;
  return {
    warnings: [
      `${forgotten.length} lease(s) could not be revoked and were removed without revoking their secrets, which may still exist: ${forgotten.join(", ")}`,
    ],
  };
}

/**
 * `sync` (Vault's default `true`): `false` makes the leases due now and revokes them in the
 * background; the answer (no data) comes at once, where Vault's HTTP API says 202 Accepted.
 */
function syncFlag(data: RequestData): boolean {
  return optionalFlag(data.sync, "sync") ?? true;
}

function optionalFlag(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw new InvalidRequestError(`${field} must be true or false`);
}

/**
 * A lease id from the body's `lease_id`, else from the path (`sys/leases/renew/<id>`): Vault's
 * precedence, and the one resolution both the routes and the holder rule (`lease-holder.ts`) use,
 * so the lease the rule checks is the lease the route acts on.
 *
 * @throws InvalidRequestError when neither names a lease
 */
export function leaseIdFrom(data: RequestData, fromPath: string | undefined): string {
  const id = data.lease_id || fromPath;
  if (typeof id !== "string" || id.length === 0) throw new InvalidRequestError("lease_id is required");
  return id;
}

/**
 * The prefix, as given: the lease manager takes it as a path prefix (`database/creds/readonly`
 * never matches `database/creds/readonly2/…`), or as the exact id of one lease.
 */
function requirePrefix(prefix: string | undefined): string {
  if (!prefix) throw new InvalidRequestError("a prefix is required, e.g. sys/leases/revoke-prefix/database/creds/readonly");
  return prefix;
}

async function listChildren(leases: LeaseRoutesDeps["leases"], prefix: string): Promise<string[]> {
  const base = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return immediateChildren(await leases.listIds(base), base);
}
