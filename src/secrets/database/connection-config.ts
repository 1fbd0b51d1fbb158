/**
 * `<db>/config/<name>`: how to reach a database and which roles may use it.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import type { RequestData } from "../../request.js";
import { validateTemplate } from "./template.js";
import { maskConnectionUrl } from "./connection-url.js";
import { optionalBoolean, optionalChoice, optionalString, statementList, stringList } from "./fields.js";
import { normalizeStatements } from "./sql-statements.js";
import type { PasswordAuthentication } from "./plugin.js";
import { parseOptionalDuration } from "../../util/ttl.js";
import { UNSUPPORTED_CONNECTION_SETTINGS, fieldsOf, refuseUnsupported } from "./unsupported-settings.js";

const PASSWORD_AUTHENTICATIONS = ["password", "scram-sha-256"] as const;

/**
 * Unlike Vault's (`password`), the default sends a SCRAM verifier: the plaintext never reaches the
 * server. `password` is the opt-out, for a server or pooler that must see the plaintext.
 */
const DEFAULT_PASSWORD_AUTHENTICATION: PasswordAuthentication = "scram-sha-256";

/** A stored connection config. `password` is secret and never returned by a read. */
export interface ConnectionConfig {
  plugin_name: string;
  connection_url: string;
  username?: string;
  password?: string;
  /** Role names or `*` globs that may use this connection; empty allows none. */
  allowed_roles: string[];
  verify_connection: boolean;
  max_open_connections: number;
  /**
   * Vault's: 0 = as many as `max_open_connections`, negative = none kept idle; above
   * `max_open_connections` it counts as that (absent in configs stored before it existed).
   */
  max_idle_connections?: number;
  /** Seconds a connection may be reused; 0 = forever (absent: 0). */
  max_connection_lifetime?: number;
  /** Whether `{{username}}`/`{{password}}` are put into a URL `connection_url` unescaped (absent: false). */
  disable_escaping?: boolean;
  /** A {@link UsernameTemplate} for generated usernames; empty = Vault's default format. */
  username_template?: string;
  /** The password policy of generated passwords (a role's own `password_policy` wins). */
  password_policy?: string;
  /** `scram-sha-256` (default, a SCRAM verifier instead of the password) or `password` (the plaintext). Configs stored before the default changed hold `password`. */
  password_authentication?: PasswordAuthentication;
  /** Statements that set the root password (`{{username}}`, `{{password}}`), split; empty = `ALTER ROLE … PASSWORD`. */
  root_rotation_statements?: string[];
  /** `root_rotation_statements` as written, which a read returns (absent in configs stored before: the split form is returned). */
  root_rotation_statements_given?: string[];
  /** Write-ahead record of a root rotation in progress (secret, never returned). */
  pending_root_password?: string;
  /** Instead of `connection_url`: host, port and database. */
  host?: string;
  port?: number;
  database?: string;
  /** Inline PEM: CA certificate(s) to trust; enables TLS with verification. */
  tls_ca?: string;
  /** Inline PEM client certificate. */
  tls_certificate?: string;
  /** Inline PEM client key (secret, never returned). */
  private_key?: string;
}

const DEFAULT_MAX_OPEN_CONNECTIONS = 4;

/** The fields `config/:name` reads (anything else is named in the response's warnings). */
export const CONNECTION_CONFIG_FIELDS = [
  "plugin_name", "plugin_version", "connection_url", "username", "password", "allowed_roles", "verify_connection",
  "max_open_connections", "max_idle_connections", "max_connection_lifetime", "disable_escaping", "username_template",
  "password_policy", "root_rotation_statements", "root_credentials_rotate_statements", "host", "port", "database",
  "tls_ca", "tls_certificate", "private_key", "password_authentication", ...fieldsOf(UNSUPPORTED_CONNECTION_SETTINGS),
];

/**
 * Builds a config from a write request, over the existing config when updating.
 *
 * @throws InvalidRequestError naming the bad field
 */
export function parseConnectionConfig(
  data: RequestData,
  existing: ConnectionConfig | undefined,
  knownPlugins: readonly string[],
): ConnectionConfig {
  refusePluginVersion(data.plugin_version);
  refuseUnsupported(data, UNSUPPORTED_CONNECTION_SETTINGS);
  const rotation = rootRotationStatements(data);
  const config: ConnectionConfig = {
    plugin_name: optionalString(data.plugin_name, "plugin_name") ?? existing?.plugin_name ?? "",
    connection_url: optionalString(data.connection_url, "connection_url") ?? existing?.connection_url ?? "",
    username: optionalString(data.username, "username") ?? existing?.username,
    password: optionalString(data.password, "password") ?? existing?.password,
    allowed_roles: data.allowed_roles === undefined ? existing?.allowed_roles ?? [] : stringList(data.allowed_roles, "allowed_roles"),
    verify_connection: optionalBoolean(data.verify_connection, "verify_connection") ?? true,
    max_open_connections: optionalPositiveInteger(data.max_open_connections, "max_open_connections") ?? existing?.max_open_connections ?? DEFAULT_MAX_OPEN_CONNECTIONS,
    max_idle_connections: optionalInteger(data.max_idle_connections, "max_idle_connections") ?? existing?.max_idle_connections ?? 0,
    max_connection_lifetime: parseOptionalDuration(data.max_connection_lifetime, "max_connection_lifetime") ?? existing?.max_connection_lifetime ?? 0,
    disable_escaping: optionalBoolean(data.disable_escaping, "disable_escaping") ?? existing?.disable_escaping ?? false,
    username_template: optionalString(data.username_template, "username_template") ?? existing?.username_template ?? "",
    password_policy: optionalString(data.password_policy, "password_policy") ?? existing?.password_policy ?? "",
    root_rotation_statements: rotation?.split ?? existing?.root_rotation_statements ?? [],
    root_rotation_statements_given: rotation?.given ?? existing?.root_rotation_statements_given,
    host: optionalString(data.host, "host") ?? existing?.host ?? "",
    port: optionalPort(data.port) ?? existing?.port,
    database: optionalString(data.database, "database") ?? existing?.database ?? "",
    tls_ca: optionalString(data.tls_ca, "tls_ca") ?? existing?.tls_ca ?? "",
    tls_certificate: optionalString(data.tls_certificate, "tls_certificate") ?? existing?.tls_certificate ?? "",
    private_key: optionalString(data.private_key, "private_key") ?? existing?.private_key ?? "",
    // A password written by hand replaces whatever a rotation left pending.
    pending_root_password: data.password === undefined ? existing?.pending_root_password : undefined,
    password_authentication:
      optionalChoice(data.password_authentication, "password_authentication", PASSWORD_AUTHENTICATIONS) ??
      existing?.password_authentication ??
      DEFAULT_PASSWORD_AUTHENTICATION,
  };
  if (!config.plugin_name) throw new InvalidRequestError("plugin_name is required, e.g. \"postgresql-database-plugin\"");
  if (!knownPlugins.includes(config.plugin_name)) {
    throw new InvalidRequestError(`unknown plugin_name ${JSON.stringify(config.plugin_name)}; known plugins: ${knownPlugins.join(", ")}`);
  }
  if (config.connection_url && config.host) throw new InvalidRequestError("give either connection_url or host, not both");
  // The URL may hold a literal password: its errors give positions, never text.
  validateTemplate(config.connection_url, ["username", "password"], "connection_url", { quoteText: false });
  return config;
}

/**
 * The config as a read returns it, in Vault's shape: the plugin's settings under
 * `connection_details` (never the password; the URL with every password in it masked, see
 * `connection-url.ts`), and the root rotation statements under Vault's read name.
 */
export function describeConnectionConfig(config: ConnectionConfig): Record<string, unknown> {
  return {
    plugin_name: config.plugin_name,
    plugin_version: "",
    connection_details: {
      connection_url: maskConnectionUrl(config.connection_url),
      username: config.username ?? "",
      max_open_connections: config.max_open_connections,
      max_idle_connections: config.max_idle_connections ?? 0,
      max_connection_lifetime: `${config.max_connection_lifetime ?? 0}s`,
      username_template: config.username_template ?? "",
      disable_escaping: config.disable_escaping ?? false,
      password_authentication: config.password_authentication ?? DEFAULT_PASSWORD_AUTHENTICATION,
      host: config.host ?? "",
      port: config.port ?? null,
      database: config.database ?? "",
      tls_ca: config.tls_ca ?? "",
      tls_certificate: config.tls_certificate ?? "",
    },
    password_policy: config.password_policy ?? "",
    root_credentials_rotate_statements: config.root_rotation_statements_given ?? config.root_rotation_statements ?? [],
    allowed_roles: config.allowed_roles,
    verify_connection: config.verify_connection,
  };
}

/**
 * Root rotation statements under either name: `root_rotation_statements` (what Vault's write
 * documents) or `root_credentials_rotate_statements` (what its read returns, so a read can be
 * written back). Both at once must agree.
 */
function rootRotationStatements(data: RequestData): { given: string[]; split: string[] } | undefined {
  const written = statementList(data.root_rotation_statements, "root_rotation_statements");
  const readName = statementList(data.root_credentials_rotate_statements, "root_credentials_rotate_statements");
  if (written !== undefined && readName !== undefined && JSON.stringify(written) !== JSON.stringify(readName)) {
    throw new InvalidRequestError("root_rotation_statements and root_credentials_rotate_statements name the same setting; give one");
  }
  const given = written ?? readName;
  if (given === undefined) return undefined;
  const split = normalizeStatements(given);
  for (const statement of split) validateTemplate(statement, ["username", "name", "password"], "root_rotation_statements");
  return { given: typeof given === "string" ? [given] : [...given], split };
}

/** Plugins are registered in the process by name, without versions: only the unversioned one exists. */
function refusePluginVersion(value: unknown): void {
  const version = optionalString(value, "plugin_version");
  if (version) {
    throw new InvalidRequestError(`plugin_version ${JSON.stringify(version)} is not supported: plugins are registered in the host process without versions; leave it empty`);
  }
}

/** Whether `role` matches one of the `allowed_roles` entries (`*` matches any run of characters). */
export function isRoleAllowed(config: ConnectionConfig, role: string): boolean {
  return config.allowed_roles.some((pattern) => wildcardMatches(pattern, role));
}

/**
 * Whether `text` matches `pattern`, where each `*` matches any run of characters. Checked on every
 * credentials request, so it compares in place rather than compiling a regular expression.
 */
function wildcardMatches(pattern: string, text: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === text;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (first.length + last.length > text.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  // The parts between stars, each leftmost after the previous: leftmost leaves the most room.
  let position = first.length;
  const end = text.length - last.length;
  for (let index = 1; index < parts.length - 1; index++) {
    const found = text.indexOf(parts[index]!, position);
    if (found === -1 || found + parts[index]!.length > end) return false;
    position = found + parts[index]!.length;
  }
  return true;
}

function optionalInteger(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "string" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isSafeInteger(number)) throw new InvalidRequestError(`${field} must be an integer`);
  return number;
}

/** A TCP port: an integer from 1 to 65535 (a larger one makes the driver hang instead of failing). */
function optionalPort(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 1 || number > 65535) {
    throw new InvalidRequestError("port must be an integer from 1 to 65535");
  }
  return number;
}

function optionalPositiveInteger(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "string" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 1) {
    throw new InvalidRequestError(`${field} must be a positive integer`);
  }
  return number;
}
