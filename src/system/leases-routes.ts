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

/** What the lease routes use. */
export interface LeaseRoutesDeps {
  /** The leases. */
  leases: Pick<LeaseManager, "get" | "renew" | "revoke" | "lookup" | "listIds" | "revokePrefix" | "count" | "tidy" | "forgetPrefix">;
  /** Tells tidy whether a lease's token still exists. */
  tokens: Pick<TokenStore, "lookupByAccessor">;
}

/** The routes of `sys/leases…` (and Vault's older `sys/renew`, `sys/revoke` aliases). */
export function leaseRoutes({ leases, tokens }: LeaseRoutesDeps): PathRoute[] {
  const renew = async (data: RequestData, fromPath: string | undefined) => {
    const id = leaseIdFrom(data, fromPath);
    const result = await leases.renew(id, parseOptionalDuration(data.increment, "increment"));
    return {
      lease: { id, duration: result.duration, renewable: result.lease.renewable },
      warnings: result.warning ? [result.warning] : undefined,
    };
  };
  const revoke = async (data: RequestData, fromPath: string | undefined) => {
    await leases.revoke(leaseIdFrom(data, fromPath));
    return null;
  };
  return [
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
    { pattern: "leases/revoke/*id", fields: ["lease_id"], write: (req, { id }) => revoke(req.data, id) },
    { pattern: "revoke/*id", fields: ["lease_id"], write: (req, { id }) => revoke(req.data, id) },
    {
      pattern: "leases/revoke-prefix/*prefix",
      fields: [],
      write: async (_req, { prefix }) => {
        await leases.revokePrefix(requirePrefix(prefix));
        return null;
      },
    },
    {
      // Vault's older alias, still used by clients such as node-vault's `revokePrefix`.
      pattern: "revoke-prefix/*prefix",
      fields: [],
      write: async (_req, { prefix }) => {
        await leases.revokePrefix(requirePrefix(prefix));
        return null;
      },
    },
    {
      pattern: "leases/count",
      fields: ["type"],
      read: async (req) => {
        const type = req.data.type ?? "all";
        if (type !== "all" && type !== "irrevocable") throw new InvalidRequestError('type must be "all" or "irrevocable"');
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
    {
      pattern: "leases/revoke-force/*prefix",
      fields: [],
      write: async (_req, { prefix }) => {
        await leases.forgetPrefix(requirePrefix(prefix));
        return null;
      },
    },
  ];
}

/**
 * A lease id from the path (`sys/leases/renew/<id>`), else from the body's `lease_id`: the one
 * resolution both the routes and the holder rule (`lease-holder.ts`) use.
 *
 * @throws InvalidRequestError when neither names a lease
 */
export function leaseIdFrom(data: RequestData, fromPath: string | undefined): string {
  const id = fromPath || data.lease_id;
  if (typeof id !== "string" || id.length === 0) throw new InvalidRequestError("lease_id is required");
  return id;
}

/** The prefix as a path prefix: `database/creds/readonly` must not match `database/creds/readonly2/…`. */
function requirePrefix(prefix: string | undefined): string {
  if (!prefix) throw new InvalidRequestError("a prefix is required, e.g. sys/leases/revoke-prefix/database/creds/readonly");
  return prefix.endsWith("/") ? prefix : `${prefix}/`;
}

async function listChildren(leases: LeaseRoutesDeps["leases"], prefix: string): Promise<string[]> {
  const base = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return immediateChildren(await leases.listIds(base), base);
}
