/**
 * The system backend, mounted at `sys/`.
 *
 * @module
 */
import type { Backend } from "../backend/backend.js";
import { PathRouter } from "../backend/path-router.js";
import type { EngineInternals } from "./engine-internals.js";
import { leaseRoutes } from "./leases-routes.js";
import { mountRoutes } from "./mounts-routes.js";
import { policyRoutes } from "./policy-routes.js";
import { capabilitiesRoutes } from "./capabilities-routes.js";
import { auditRoutes } from "./audit-routes.js";
import { passwordPolicyRoutes } from "./password-policy-routes.js";

/** Creates the `sys/` backend over the engine's internals. */
export function createSystemBackend(engine: EngineInternals): Backend {
  const router = new PathRouter([
    ...mountRoutes(engine),
    ...leaseRoutes(engine),
    ...policyRoutes(engine),
    ...capabilitiesRoutes(engine),
    ...auditRoutes(engine),
    ...passwordPolicyRoutes(engine),
  ]);
  return {
    handle: (request) => router.handle(request),
    exists: (path) => router.exists(path),
  };
}
