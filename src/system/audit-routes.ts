/**
 * `sys/audit` and `sys/audit-hash`: enable, list and disable audit devices, and hash a known value
 * the way the devices record it. Both are sudo paths (Vault's root paths).
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { PathRoute } from "../backend/path-router.js";
import type { AuditDeviceConfig } from "../audit/audit-device-config.js";
import type { AuditBroker } from "../audit/audit-broker.js";
import type { ChangeEventSink } from "../backend/change-events.js";

/** What the audit routes use. */
export interface AuditRoutesDeps {
  /** The audit devices. */
  audit: Pick<AuditBroker, "list" | "enable" | "disable" | "hash">;
  /** Where `audit.enabled` and `audit.disabled` are reported. */
  events: ChangeEventSink;
}

/** The routes of `sys/audit…` and `sys/audit-hash/…`. */
export function auditRoutes({ audit, events }: AuditRoutesDeps): PathRoute[] {
  const list = async () => ({ data: Object.fromEntries(audit.list().map((c) => [`${c.path}/`, describeDevice(c)])) });
  return [
    { pattern: "audit", fields: [], read: list, list },
    {
      pattern: "audit/*path",
      fields: ["type", "description", "options", "local"],
      write: async (req, { path }) => {
        await audit.enable(path!, req.data);
        events("audit.enabled", { path: trimSlashes(path!), type: String(req.data.type) });
        return null;
      },
      delete: async (_req, { path }) => {
        await audit.disable(path!);
        events("audit.disabled", { path: trimSlashes(path!) });
        return null;
      },
    },
    {
      pattern: "audit-hash/*path",
      fields: ["input"],
      write: async (req, { path }) => {
        const input = req.data.input;
        if (typeof input !== "string") throw new InvalidRequestError("input is required: the value to hash, as a string");
        return { data: { hash: audit.hash(path!, input) } };
      },
    },
  ];
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}

/** Vault's view of an audit device. */
function describeDevice(config: AuditDeviceConfig): Record<string, unknown> {
  return { type: config.type, description: config.description, options: config.options, path: `${config.path}/`, local: false };
}
