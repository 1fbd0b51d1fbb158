/**
 * `sys/audit` and `sys/audit-hash`: enable, list and disable audit devices, and hash a known value
 * the way the devices record it. Both are sudo paths (Vault's root paths).
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { PathRoute } from "../backend/path-router.js";
import type { AuditDeviceConfig } from "../audit/audit-device-config.js";
import type { EngineInternals } from "./engine-internals.js";

/** The routes of `sys/audit…` and `sys/audit-hash/…`. */
export function auditRoutes(engine: EngineInternals): PathRoute[] {
  const list = async () => ({ data: Object.fromEntries(engine.audit.list().map((c) => [`${c.path}/`, describeDevice(c)])) });
  return [
    { pattern: "audit", read: list, list },
    {
      pattern: "audit/*path",
      write: async (req, { path }) => {
        await engine.audit.enable(path!, req.data);
        return null;
      },
      delete: async (_req, { path }) => {
        await engine.audit.disable(path!);
        return null;
      },
    },
    {
      pattern: "audit-hash/*path",
      write: async (req, { path }) => {
        const input = req.data.input;
        if (typeof input !== "string") throw new InvalidRequestError("input is required: the value to hash, as a string");
        return { data: { hash: engine.audit.hash(path!, input) } };
      },
    },
  ];
}

/** Vault's view of an audit device. */
function describeDevice(config: AuditDeviceConfig): Record<string, unknown> {
  return { type: config.type, description: config.description, options: config.options, path: `${config.path}/`, local: false };
}
