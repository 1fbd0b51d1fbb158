/**
 * The configuration of an audit device, as `sys/audit/<path>` takes it.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";

/** An enabled device's stored configuration. */
export interface AuditDeviceConfig {
  /** The device's path (its name), e.g. `"file"`. */
  path: string;
  /** `"file"` (JSON lines to `options.file_path`) or `"stream"` (a host sink named by `options.sink`). */
  type: "file" | "stream";
  description: string;
  /** Vault's device options, as strings. */
  options: Record<string, string>;
  /** Whether accessors are HMAC'd (Vault's `hmac_accessor`, default true). */
  hmacAccessor: boolean;
  /** Permission bits of a new audit file (Vault's `mode`, default `0600`). */
  fileMode: number;
}

const VALID_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const KNOWN_OPTIONS: Record<AuditDeviceConfig["type"], string[]> = {
  file: ["file_path", "mode", "hmac_accessor", "log_raw", "format"],
  stream: ["sink", "hmac_accessor", "log_raw", "format"],
};

/**
 * Validates an enable request.
 *
 * @param sinkNames - the names of the host's `auditSinks`
 * @throws InvalidRequestError naming the bad field
 */
export function parseAuditDeviceConfig(rawPath: string, data: Record<string, unknown>, sinkNames: string[]): AuditDeviceConfig {
  const path = rawPath.replace(/^\/+|\/+$/g, "");
  if (!VALID_PATH.test(path)) throw new InvalidRequestError(`audit device path ${JSON.stringify(rawPath)} is invalid: use letters, digits, "_", "." and "-"`);
  const type = data.type;
  if (type !== "file" && type !== "stream") throw new InvalidRequestError('type must be "file" or "stream"');
  if (data.local !== undefined && data.local !== null && parseBoolean(String(data.local), "local")) {
    throw new InvalidRequestError("local: true is not supported: vaultlet has no replication, and every engine on the storage shares the audit devices");
  }
  const options = stringOptions(data.options);
  const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS[type].includes(key));
  if (unknown.length > 0) throw new InvalidRequestError(`unknown option(s) for a ${type} audit device: ${unknown.join(", ")}`);
  if (options.log_raw !== undefined && parseBoolean(options.log_raw, "log_raw")) {
    throw new InvalidRequestError("log_raw is not supported: audit entries always hash secrets");
  }
  if (options.format !== undefined && options.format !== "json") throw new InvalidRequestError('format must be "json"');
  if (type === "file" && !options.file_path) throw new InvalidRequestError("options.file_path is required for a file audit device");
  if (type === "stream") requireSink(options.sink, sinkNames);
  return {
    path,
    type,
    description: typeof data.description === "string" ? data.description : "",
    options,
    hmacAccessor: options.hmac_accessor === undefined ? true : parseBoolean(options.hmac_accessor, "hmac_accessor"),
    fileMode: options.mode === undefined ? 0o600 : parseMode(options.mode),
  };
}

function requireSink(sink: string | undefined, sinkNames: string[]): void {
  if (!sink) throw new InvalidRequestError("options.sink is required for a stream audit device: the name of a sink passed to Engine.open({ auditSinks })");
  if (!sinkNames.includes(sink)) {
    const known = sinkNames.length === 0 ? "none were passed" : `known sinks: ${sinkNames.join(", ")}`;
    throw new InvalidRequestError(`no audit sink named ${JSON.stringify(sink)} was passed to Engine.open({ auditSinks }); ${known}`);
  }
}

function stringOptions(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new InvalidRequestError("options must be an object");
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, optionText(key, item)]));
}

/** An option's value as text: options are scalars (an object has no text form worth guessing). */
function optionText(key: string, item: unknown): string {
  if (item !== null && (typeof item === "object" || typeof item === "function")) {
    throw new InvalidRequestError(`option ${JSON.stringify(key)} must be a string, a number or a boolean`);
  }
  return String(item);
}

function parseBoolean(value: string, field: string): boolean {
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new InvalidRequestError(`${field} must be true or false`);
}

function parseMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidRequestError(`mode must be octal permission bits such as "0600"`);
  return Number.parseInt(value, 8);
}
