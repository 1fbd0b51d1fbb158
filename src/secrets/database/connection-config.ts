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

const PASSWORD_AUTHENTICATIONS = ["password", "scram-sha-256"] as const;

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
  /** A {@link UsernameTemplate} for generated usernames; empty = Vault's default format. */
  username_template?: string;
  /** The password policy of generated passwords (a role's own `password_policy` wins). */
  password_policy?: string;
  /** `password` (default) or `scram-sha-256`: send a SCRAM verifier instead of the password. */
  password_authentication?: PasswordAuthentication;
  /** Statements that set the root password (`{{username}}`, `{{password}}`); empty = `ALTER ROLE … PASSWORD`. */
  root_rotation_statements?: string[];
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
  "plugin_name", "connection_url", "username", "password", "allowed_roles", "verify_connection", "max_open_connections",
  "username_template", "password_policy", "root_rotation_statements", "host", "port", "database", "tls_ca",
  "tls_certificate", "private_key", "password_authentication",
] as const;

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
  const config: ConnectionConfig = {
    plugin_name: optionalString(data.plugin_name, "plugin_name") ?? existing?.plugin_name ?? "",
    connection_url: optionalString(data.connection_url, "connection_url") ?? existing?.connection_url ?? "",
    username: optionalString(data.username, "username") ?? existing?.username,
    password: optionalString(data.password, "password") ?? existing?.password,
    allowed_roles: data.allowed_roles === undefined ? existing?.allowed_roles ?? [] : stringList(data.allowed_roles, "allowed_roles"),
    verify_connection: optionalBoolean(data.verify_connection, "verify_connection") ?? true,
    max_open_connections: optionalPositiveInteger(data.max_open_connections, "max_open_connections") ?? existing?.max_open_connections ?? DEFAULT_MAX_OPEN_CONNECTIONS,
    username_template: optionalString(data.username_template, "username_template") ?? existing?.username_template ?? "",
    password_policy: optionalString(data.password_policy, "password_policy") ?? existing?.password_policy ?? "",
    root_rotation_statements: rootRotationStatements(data.root_rotation_statements) ?? existing?.root_rotation_statements ?? [],
    host: optionalString(data.host, "host") ?? existing?.host ?? "",
    port: optionalPositiveInteger(data.port, "port") ?? existing?.port,
    database: optionalString(data.database, "database") ?? existing?.database ?? "",
    tls_ca: optionalString(data.tls_ca, "tls_ca") ?? existing?.tls_ca ?? "",
    tls_certificate: optionalString(data.tls_certificate, "tls_certificate") ?? existing?.tls_certificate ?? "",
    private_key: optionalString(data.private_key, "private_key") ?? existing?.private_key ?? "",
    // A password written by hand replaces whatever a rotation left pending.
    pending_root_password: data.password === undefined ? existing?.pending_root_password : undefined,
    password_authentication:
      optionalChoice(data.password_authentication, "password_authentication", PASSWORD_AUTHENTICATIONS) ??
      existing?.password_authentication ??
      "password",
  };
  if (!config.plugin_name) throw new InvalidRequestError("plugin_name is required, e.g. \"postgresql-database-plugin\"");
  if (!knownPlugins.includes(config.plugin_name)) {
    throw new InvalidRequestError(`unknown plugin_name ${JSON.stringify(config.plugin_name)}; known plugins: ${knownPlugins.join(", ")}`);
  }
  if (config.connection_url && config.host) throw new InvalidRequestError("give either connection_url or host, not both");
  validateTemplate(config.connection_url, ["username", "password"], "connection_url");
  return config;
}

/** The config as a read returns it: never the password, and the URL with every password in it masked (see `connection-url.ts`). */
export function describeConnectionConfig(config: ConnectionConfig): Record<string, unknown> {
  return {
    plugin_name: config.plugin_name,
    connection_details: {
      connection_url: maskConnectionUrl(config.connection_url),
      username: config.username ?? "",
      max_open_connections: config.max_open_connections,
      host: config.host ?? "",
      port: config.port ?? null,
      database: config.database ?? "",
      tls_ca: config.tls_ca ?? "",
      tls_certificate: config.tls_certificate ?? "",
    },
    username_template: config.username_template ?? "",
    password_policy: config.password_policy ?? "",
    password_authentication: config.password_authentication ?? "password",
    root_rotation_statements: config.root_rotation_statements ?? [],
    allowed_roles: config.allowed_roles,
    verify_connection: config.verify_connection,
  };
}

function rootRotationStatements(value: unknown): string[] | undefined {
  const given = statementList(value, "root_rotation_statements");
  if (given === undefined) return undefined;
  const statements = normalizeStatements(given);
  for (const statement of statements) validateTemplate(statement, ["username", "name", "password"], "root_rotation_statements");
  return statements;
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

function optionalPositiveInteger(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "string" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 1) {
    throw new InvalidRequestError(`${field} must be a positive integer`);
  }
  return number;
}
