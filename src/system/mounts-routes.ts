/**
 * `sys/mounts`: enable, list, read, tune and disable secrets engines.
 *
 * @module
 */
import { InvalidRequestError, NotFoundError } from "../errors.js";
import type { PathRoute } from "../backend/path-router.js";
import type { RequestData } from "../request.js";
import { parseOptionalDuration } from "../util/ttl.js";
import type { ChangeEventSink } from "../backend/change-events.js";
import type { MountConfig, MountEntry } from "../mounts/mount-entry.js";
import { normalizeMountPath, type MountTable } from "../mounts/mount-table.js";
import { parseOptionalMaxLeases } from "../leases/max-leases.js";

/** What the mount routes use. */
export interface MountRoutesDeps {
  /** The mount table (read, and written by tuning). */
  mounts: Pick<MountTable, "all" | "get" | "tune">;
  /** Types that can be mounted. */
  mountTypes(): string[];
  /** Creates the backend and adds the entry; nothing is written if the backend cannot be created. */
  enableMount(entry: Omit<MountEntry, "uuid" | "accessor" | "builtin">): Promise<void>;
  /** Revokes the mount's leases, closes its backend, removes the entry and its storage. */
  disableMount(path: string): Promise<void>;
  /** Where `mount.tuned` is reported (the mount lifecycle reports enabled and disabled). */
  events: ChangeEventSink;
}

/** The routes of `sys/mounts…`. */
export function mountRoutes(engine: MountRoutesDeps): PathRoute[] {
  return [
    {
      pattern: "mounts",
      fields: [],
      read: async () => ({ data: Object.fromEntries(engine.mounts.all().map((e) => [e.path, describeMount(e)])) }),
    },
    {
      pattern: "mounts/*path/tune",
      fields: ["default_lease_ttl", "max_lease_ttl", "max_leases", "description"],
      read: async (_req, { path }) => ({ data: { ...requireMount(engine, path!).config } }),
      write: async (req, { path }) => {
        const entry = requireMount(engine, path!);
        tuneFields(entry, req.data); // validates before anything is written
        // Applied to the entry as stored: a tune made meanwhile through another engine is kept.
        await engine.mounts.tune(entry.path, (stored) => ({ ...stored, ...tuneFields(stored, req.data) }));
        engine.events("mount.tuned", { path: `${path!.replace(/^\/+|\/+$/g, "")}/`, fields: Object.keys(req.data).sort() });
        return null;
      },
    },
    {
      pattern: "mounts/*path",
      fields: ["type", "description", "config", "options"],
      exists: async ({ path }) => engine.mounts.get(normalizeMountPath(path!)) !== undefined,
      read: async (_req, { path }) => ({ data: describeMount(requireMount(engine, path!)) }),
      write: async (req, { path }) => {
        await engine.enableMount(parseNewMount(engine, path!, req.data));
        return null;
      },
      delete: async (_req, { path }) => {
        await engine.disableMount(normalizeMountPath(path!));
        return null;
      },
    },
  ];
}

function requireMount(engine: MountRoutesDeps, path: string): MountEntry {
  const entry = engine.mounts.get(normalizeMountPath(path));
  if (!entry) throw new NotFoundError(`no mount at ${JSON.stringify(path)}`);
  return entry;
}

/** Vault's view of a mount entry. */
function describeMount(entry: MountEntry): Record<string, unknown> {
  return {
    type: entry.type,
    description: entry.description,
    accessor: entry.accessor,
    uuid: entry.uuid,
    config: { ...entry.config, force_no_cache: false },
    options: entry.options,
    local: false,
    seal_wrap: false,
  };
}

function parseNewMount(engine: MountRoutesDeps, rawPath: string, data: RequestData) {
  const path = normalizeMountPath(rawPath);
  const type = data.type;
  if (typeof type !== "string" || type.length === 0) throw new InvalidRequestError("type is required, e.g. { type: \"database\" }");
  if (!engine.mountTypes().includes(type)) {
    throw new InvalidRequestError(`unknown mount type ${JSON.stringify(type)}; known types: ${engine.mountTypes().join(", ")}`);
  }
  const config = parseMountConfig(asObject(data.config, "config"), { default_lease_ttl: 0, max_lease_ttl: 0 });
  return {
    path,
    type,
    description: typeof data.description === "string" ? data.description : "",
    config,
    options: stringRecord(asObject(data.options, "options")),
  };
}

function tuneFields(entry: MountEntry, data: RequestData): Partial<MountEntry> {
  const fields: Partial<MountEntry> = { config: parseMountConfig(data, entry.config) };
  if (typeof data.description === "string") fields.description = data.description;
  return fields;
}

/** Reads `default_lease_ttl`/`max_lease_ttl` over `base`, and checks that default ≤ max. */
function parseMountConfig(data: RequestData, base: MountConfig): MountConfig {
  const config: MountConfig = {
    default_lease_ttl: parseOptionalDuration(data.default_lease_ttl, "default_lease_ttl") ?? base.default_lease_ttl,
    max_lease_ttl: parseOptionalDuration(data.max_lease_ttl, "max_lease_ttl") ?? base.max_lease_ttl,
  };
  const maxLeases = parseOptionalMaxLeases(data.max_leases) ?? base.max_leases;
  if (maxLeases !== undefined) config.max_leases = maxLeases;
  if (config.max_lease_ttl > 0 && config.default_lease_ttl > config.max_lease_ttl) {
    throw new InvalidRequestError("default_lease_ttl cannot be greater than max_lease_ttl");
  }
  return config;
}

function asObject(value: unknown, field: string): RequestData {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new InvalidRequestError(`${field} must be an object`);
  return value as RequestData;
}

function stringRecord(value: RequestData): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, String(v)]));
}
