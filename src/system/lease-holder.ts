/**
 * The holder rule of `sys/leases`: the token that holds a lease may renew and revoke that lease
 * without a policy granting `sys/leases/renew` or `sys/leases/revoke`. An app whose token may only
 * read its creds path can then keep its own credentials alive and give them back when done (the
 * credential pool does both), and nothing else: it can neither renew nor revoke, nor learn of, a
 * lease that another token holds.
 *
 * The rule only adds to the policies where they are silent: an explicit `deny` on either form of
 * the request, or a parameter or wrapping constraint that refuses it, stands (as in Vault), and the
 * rule holds only while the token's current policies still grant `read` on the lease's creds path
 * (the pipeline checks both, `request-pipeline.ts`).
 *
 * Vault has no such right (its `default` policy grants `sys/leases/renew` on every lease and
 * nothing grants revoke); this is one of the improvements docs/policies.md lists.
 *
 * @module
 */
import type { HolderQuestion, Holding, RequestForm } from "../backend/backend.js";
import type { RequestData } from "../request.js";
import type { LeaseManager } from "../leases/lease-manager.js";
import { leaseIdFrom } from "./leases-routes.js";

/**
 * The only requests the rule covers: a write to `leases/renew` or `leases/revoke` (below `sys/`),
 * the lease named in the path (`sys/leases/renew/<id>`) or else by `lease_id` in the body — the
 * way the routes themselves resolve it. Not `sys/renew`, `sys/revoke`, prefixes or lookups.
 */
const HOLDER_PATH = /^leases\/(renew|revoke)(?:\/(.+))?$/;

/**
 * Answers {@link Backend.holderOf} for the system backend: for a renew or revoke request naming an
 * active secret lease, the accessor of the token that holds it, the path that issued it (the
 * holder must still be allowed to read it), and both forms of the request (body and path).
 *
 * A token's own lease (an `auth/` lease) is never covered, even though the token holds it: a
 * token's lifetime is managed by `auth/token/renew-self` and `revoke-self`, whose rules (periods,
 * explicit max TTLs) a lease renewal would bypass.
 */
export function leaseHolder(leases: Pick<LeaseManager, "get">): (question: HolderQuestion) => Promise<Holding | undefined> {
  return async ({ operation, path, data }) => {
    if (operation !== "create" && operation !== "update") return undefined;
    const match = HOLDER_PATH.exec(path);
    if (!match) return undefined;
    const id = leaseIdOrUndefined(data, match[2]);
    if (id === undefined) return undefined;
    const lease = await leases.get(id);
    if (!lease || lease.state !== "active" || lease.mountPath.startsWith("auth/")) return undefined;
    return { accessor: lease.tokenAccessor, issuedBy: `${lease.mountPath}${lease.path}`, forms: formsOf(match[1]!, id, data) };
  };
}

/**
 * The two forms of a renewal or revocation of lease `id` that the routes serve alike: the id in
 * the body of `leases/<action>`, and in the path `leases/<action>/<id>` (the body then without
 * `lease_id`, which the route would prefer to the path's).
 */
function formsOf(action: string, id: string, data: RequestData): RequestForm[] {
  const { lease_id: _inBody, ...rest } = data;
  return [
    { path: `leases/${action}`, data: { ...rest, lease_id: id } },
    { path: `leases/${action}/${id}`, data: rest },
  ];
}

/** The lease id the route would act on, or `undefined` when the request names none. */
function leaseIdOrUndefined(data: HolderQuestion["data"], fromPath: string | undefined): string | undefined {
  try {
    return leaseIdFrom(data, fromPath);
  } catch {
    return undefined; // no id: the route refuses it once allowed, but the holder rule allows nothing
  }
}
