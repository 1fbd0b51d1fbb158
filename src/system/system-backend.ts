/**
 * The system backend, mounted at `sys/`.
 *
 * @module
 */
import type { Backend, RootPath } from "../backend/backend.js";
import { PathRouter } from "../backend/path-router.js";
import { leaseRoutes, type LeaseRoutesDeps } from "./leases-routes.js";
import { leaseHolder } from "./lease-holder.js";
import { mountRoutes, type MountRoutesDeps } from "./mounts-routes.js";
import { policyRoutes, type PolicyRoutesDeps } from "./policy-routes.js";
import { capabilitiesRoutes, type CapabilitiesRoutesDeps } from "./capabilities-routes.js";
import { auditRoutes, type AuditRoutesDeps } from "./audit-routes.js";
import { passwordPolicyRoutes, type PasswordPolicyRoutesDeps } from "./password-policy-routes.js";
import { WRAPPING_UNAUTHENTICATED_PATHS, wrappingRoutes, type WrappingRoutesDeps } from "./wrapping-routes.js";

/**
 * What the `sys/` routes use, together: each route group takes only its own slice, so none can
 * reach into storage or tokens it has no business with.
 */
export type SystemBackendDeps = MountRoutesDeps &
  LeaseRoutesDeps &
  PolicyRoutesDeps &
  CapabilitiesRoutesDeps &
  AuditRoutesDeps &
  PasswordPolicyRoutesDeps &
  WrappingRoutesDeps;

/**
 * The `sys/` paths that need `sudo`: Vault's list followed exactly, which is why `mounts` and
 * `policy` are *not* here (the seed guide's admin policy manages both without `sudo`).
 */
export const SYSTEM_ROOT_PATHS: readonly RootPath[] = [
  ...["revoke-prefix", "leases/revoke-prefix", "revoke-force", "leases/revoke-force"].flatMap(below),
  { path: "leases/lookup/*", operations: ["list"] },
  { path: "leases" },
  ...["audit", "audit-hash", "raw", "config/auditing", "plugins/catalog"].flatMap(below),
  { path: "rotate" },
  { path: "remount" },
];

/** Creates the `sys/` backend over the slices its route groups use. */
export function createSystemBackend(deps: SystemBackendDeps): Backend {
  const router = new PathRouter([
    ...mountRoutes(deps),
    ...leaseRoutes(deps),
    ...policyRoutes(deps),
    ...capabilitiesRoutes(deps),
    ...auditRoutes(deps),
    ...passwordPolicyRoutes(deps),
    ...wrappingRoutes(deps),
  ]);
  return {
    rootPaths: SYSTEM_ROOT_PATHS,
    unauthenticatedPaths: WRAPPING_UNAUTHENTICATED_PATHS,
    handle: (request) => router.handle(request),
    exists: (path) => router.exists(path),
    holderOf: leaseHolder(deps.leases),
  };
}

/** A path and everything below it. */
function below(path: string): RootPath[] {
  return [{ path }, { path: `${path}/*` }];
}
