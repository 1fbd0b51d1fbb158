/**
 * `sys/mounts`: enable, list, read, tune and disable secrets engines.
 *
 * @module
 */
import { InvalidRequestError, NotFoundError } from "../errors.js";
import type { PathRoute } from "../backend/path-router.js";
import type { RequestData } from "../request.js";
import { parseOptionalDuration, SYSTEM_DEFAULT_TTL_SECONDS, SYSTEM_MAX_TTL_SECONDS } from "../util/ttl.js";
import { unrecognizedParametersWarning } from "../backend/path-router.js";
import { checkTokenType, refuseUnsupportedEnableFields, refuseUnsupportedSettings, UNSUPPORTED_ENABLE_FIELDS, UNSUPPORTED_SETTING_FIELDS } from "./mount-settings.js";
import type { NewMount } from "../mounts/mount-lifecycle.js";
import type { MountMigrations } from "../mounts/mount-migrations.js";
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
  /** Moves a mount with its leases (`sys/remount`), recorded as a migration. */
  remounts: Pick<MountMigrations, "remount" | "status">;
}

/** The routes of `sys/mounts…` and `sys/remount…`. */
export function mountRoutes(engine: MountRoutesDeps): PathRoute[] {
  return [
    {
      // Done when it answers (Vault queues it): the status already says how it went.
      pattern: "remount",
      fields: ["from", "to"],
      write: async (req) => {
        const record = await engine.remounts.remount(req.data.from, req.data.to);
        return { data: { migration_id: record.migration_id } };
      },
    },
    {
      pattern: "remount/status/:migration_id",
      fields: [],
      read: async (_req, { migration_id }) => {
        const record = await engine.remounts.status(migration_id!);
        if (!record) return null;
        const { source_mount, target_mount, status } = record;
        return { data: { migration_id, migration_info: { source_mount, target_mount, status } } };
      },
    },
    {
      pattern: "mounts",
      fields: [],
      read: async () => ({ data: Object.fromEntries(engine.mounts.all().map((e) => [e.path, describeMount(e)])) }),
    },
    {
      pattern: "mounts/*path/tune",
      fields: TUNE_FIELDS,
      read: async (_req, { path }) => ({ data: tuneView(requireMount(engine, path!)) }),
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
      fields: ["type", "description", "config", "options", ...UNSUPPORTED_ENABLE_FIELDS],
      exists: async ({ path }) => engine.mounts.get(normalizeMountPath(path!)) !== undefined,
      read: async (_req, { path }) => ({ data: describeMount(requireMount(engine, path!)) }),
      write: async (req, { path }) => {
        const { mount, ignored } = parseNewMount(engine, path!, req.data);
        await engine.enableMount(mount);
        return ignored.length === 0 ? null : { warnings: [unrecognizedParametersWarning(ignored)] };
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
    config: { ...entry.config, force_no_cache: entry.config.force_no_cache ?? false },
    options: entry.options,
    local: false,
    seal_wrap: false,
    external_entropy_access: false,
    plugin_version: "",
  };
}

/** The tune fields Vault documents; the unsupported ones are refused unless at their default. */
const TUNE_FIELDS: readonly string[] = ["default_lease_ttl", "max_lease_ttl", "max_leases", "description", "options", "token_type", ...UNSUPPORTED_SETTING_FIELDS];

/** What `config` of enable may hold (Vault's keys); any other is named in a warning. */
const CONFIG_FIELDS: ReadonlySet<string> = new Set(["default_lease_ttl", "max_lease_ttl", "max_leases", "force_no_cache", ...UNSUPPORTED_SETTING_FIELDS]);

/**
 * Vault's tune read: the TTLs in effect (an untuned mount's are the system's, 768h), the
 * description and cache flag, and the options and `max_leases` when set; `token_type` on the token
 * mount.
 */
function tuneView(entry: MountEntry): Record<string, unknown> {
  return {
    description: entry.description,
    default_lease_ttl: entry.config.default_lease_ttl || SYSTEM_DEFAULT_TTL_SECONDS,
    max_lease_ttl: entry.config.max_lease_ttl || SYSTEM_MAX_TTL_SECONDS,
    force_no_cache: entry.config.force_no_cache ?? false,
    ...(entry.config.max_leases !== undefined && { max_leases: entry.config.max_leases }),
    ...(Object.keys(entry.options).length > 0 && { options: entry.options }),
    ...(entry.path === "auth/token/" && { token_type: "default-service" }),
  };
}

function parseNewMount(engine: MountRoutesDeps, rawPath: string, data: RequestData): { mount: NewMount; ignored: string[] } {
  const path = normalizeMountPath(rawPath);
  const type = data.type;
  if (typeof type !== "string" || type.length === 0) throw new InvalidRequestError("type is required, e.g. { type: \"database\" }");
  if (!engine.mountTypes().includes(type)) {
    throw new InvalidRequestError(`unknown mount type ${JSON.stringify(type)}; known types: ${engine.mountTypes().join(", ")}`);
  }
  refuseUnsupportedEnableFields(data);
  const configData = asObject(data.config, "config");
  refuseUnsupportedSettings(configData, "config.");
  const config = parseMountConfig(configData, { default_lease_ttl: 0, max_lease_ttl: 0 });
  const forceNoCache = optionalFlag(configData.force_no_cache, "config.force_no_cache");
  if (forceNoCache) config.force_no_cache = true;
  const mount: NewMount = {
    path,
    type,
    description: typeof data.description === "string" ? data.description : "",
    config,
    options: stringRecord(asObject(data.options, "options")),
  };
  return { mount, ignored: Object.keys(configData).filter((key) => !CONFIG_FIELDS.has(key)).map((key) => `config.${key}`) };
}

/**
 * The entry's fields a tune changes: TTLs, `max_leases`, description and options (merged over the
 * stored ones, as Vault's); the unsupported settings are refused unless at their default.
 */
function tuneFields(entry: MountEntry, data: RequestData): Partial<MountEntry> {
  refuseUnsupportedSettings(data);
  checkTokenType(data.token_type, entry.path);
  const fields: Partial<MountEntry> = { config: parseMountConfig(data, entry.config) };
  if (typeof data.description === "string") fields.description = data.description;
  if (data.options !== undefined && data.options !== null) fields.options = { ...entry.options, ...stringRecord(asObject(data.options, "options")) };
  return fields;
}

/** Reads `default_lease_ttl`/`max_lease_ttl` over `base`, and checks that default ≤ max. */
function parseMountConfig(data: RequestData, base: MountConfig): MountConfig {
  const config: MountConfig = {
    ...base,
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

function optionalFlag(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw new InvalidRequestError(`${field} must be true or false`);
}

function asObject(value: unknown, field: string): RequestData {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new InvalidRequestError(`${field} must be an object`);
  return value as RequestData;
}

function stringRecord(value: RequestData): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, String(v)]));
}
