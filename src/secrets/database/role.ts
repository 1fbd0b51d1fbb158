/**
 * `<db>/roles/<name>`: what a dynamic credential is — the SQL that creates, renews and revokes it,
 * and its TTLs.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import type { RequestData } from "../../request.js";
import { normalizeStatements } from "./sql-statements.js";
import { validateTemplate } from "./template.js";
import { parseOptionalDuration } from "../../util/ttl.js";
import { parseOptionalMaxLeases } from "../../leases/max-leases.js";
import { optionalBoolean, optionalChoice, optionalString, statementList } from "./fields.js";
import { DEFAULT_REVOCATION_SETTINGS, type RevocationSettings } from "./revocation-settings.js";
import { describeCredential, passwordPolicyOf } from "./credential-type.js";

/** A stored role. Statements are kept split, one statement per item. */
export interface Role {
  db_name: string;
  creation_statements: string[];
  revocation_statements: string[];
  renew_statements: string[];
  rollback_statements: string[];
  /** Seconds; 0 = the mount's default. */
  default_ttl: number;
  /** Seconds; 0 = the mount's max. */
  max_ttl: number;
  /** The most live leases of this role (0 = no limit; absent in roles stored before it existed). */
  max_leases?: number;
  /** Default revocation: end the user's open sessions first (also before custom statements). */
  revoke_terminate_sessions?: boolean;
  /** Default revocation: `reassign` owned objects (default) or `drop` them. */
  revoke_owned_objects?: "reassign" | "drop";
  /** Default revocation: who receives reassigned objects; empty = the connection's user. */
  reassign_owned_to?: string;
  /** The password policy of this role's passwords; empty = the connection's, else Vault's default. */
  password_policy?: string;
  /**
   * The statements fields as written (a string is kept as a one-item list), which a read returns;
   * the split fields above are what runs. Absent in roles stored before: reads return the split form.
   */
  statements_given?: Partial<Record<StatementField, string[]>>;
}

type StatementField = (typeof STATEMENT_FIELDS)[number];

/** The variables a statement template may use. `{{username}}` is an alias of `{{name}}`. */
export const STATEMENT_VARIABLES = ["name", "username", "password", "expiration"] as const;

/** The fields `roles/:name` reads (anything else is named in the response's warnings). */
export const ROLE_FIELDS = [
  "db_name", "creation_statements", "revocation_statements", "renew_statements", "rollback_statements", "default_ttl",
  "max_ttl", "max_leases", "revoke_terminate_sessions", "revoke_owned_objects", "reassign_owned_to", "password_policy",
  "credential_type", "credential_config",
] as const;

const OWNED_OBJECT_CHOICES = ["reassign", "drop"] as const;

const STATEMENT_FIELDS = ["creation_statements", "revocation_statements", "renew_statements", "rollback_statements"] as const;

/**
 * Builds a role from a write request, over the existing role when updating.
 *
 * @throws InvalidRequestError naming the bad field
 */
export function parseRole(data: RequestData, existing: Role | undefined): Role {
  const passwordPolicy = passwordPolicyOf(data);
  const role: Role = {
    db_name: optionalString(data.db_name, "db_name") ?? existing?.db_name ?? "",
    creation_statements: statementsField(data, "creation_statements", existing),
    revocation_statements: statementsField(data, "revocation_statements", existing),
    renew_statements: statementsField(data, "renew_statements", existing),
    rollback_statements: statementsField(data, "rollback_statements", existing),
    default_ttl: parseOptionalDuration(data.default_ttl, "default_ttl") ?? existing?.default_ttl ?? 0,
    max_ttl: parseOptionalDuration(data.max_ttl, "max_ttl") ?? existing?.max_ttl ?? 0,
    max_leases: parseOptionalMaxLeases(data.max_leases) ?? existing?.max_leases ?? 0,
    revoke_terminate_sessions:
      optionalBoolean(data.revoke_terminate_sessions, "revoke_terminate_sessions") ?? existing?.revoke_terminate_sessions ?? true,
    revoke_owned_objects:
      optionalChoice(data.revoke_owned_objects, "revoke_owned_objects", OWNED_OBJECT_CHOICES) ?? existing?.revoke_owned_objects ?? "reassign",
    reassign_owned_to: optionalString(data.reassign_owned_to, "reassign_owned_to") ?? existing?.reassign_owned_to ?? "",
    password_policy: passwordPolicy ?? existing?.password_policy ?? "",
    statements_given: givenStatements(data, existing),
  };
  if (!role.db_name) throw new InvalidRequestError("db_name is required: the name of a connection under config/");
  if (role.creation_statements.length === 0) throw new InvalidRequestError("creation_statements is required");
  if (role.max_ttl > 0 && role.default_ttl > role.max_ttl) {
    throw new InvalidRequestError("default_ttl cannot be greater than max_ttl");
  }
  return role;
}

function statementsField(data: RequestData, field: StatementField, existing: Role | undefined): string[] {
  const given = statementList(data[field], field);
  if (given === undefined) return existing?.[field] ?? [];
  const statements = normalizeStatements(given);
  for (const statement of statements) validateTemplate(statement, STATEMENT_VARIABLES, field);
  return statements;
}

/** The statements as written, over those of the existing role (which may predate keeping them). */
function givenStatements(data: RequestData, existing: Role | undefined): Role["statements_given"] {
  const given: Partial<Record<StatementField, string[]>> = {};
  for (const field of STATEMENT_FIELDS) {
    const value = statementList(data[field], field);
    const kept = value === undefined ? existing?.statements_given?.[field] : typeof value === "string" ? [value] : [...value];
    if (kept !== undefined) given[field] = kept;
  }
  return given;
}

/** The role as a read returns it: statements as written (or, for a role stored before, split). */
export function describeRole(role: Role): Record<string, unknown> {
  const { statements_given: given, ...rest } = role;
  const statements = Object.fromEntries(STATEMENT_FIELDS.map((field) => [field, given?.[field] ?? role[field]]));
  return { ...rest, ...statements, max_leases: role.max_leases ?? 0, ...describeCredential(role.password_policy) };
}

/** The revocation settings of a role; a role written before these settings existed gets the defaults. */
export function revocationSettingsOf(role: Role | undefined): RevocationSettings {
  return {
    terminateSessions: role?.revoke_terminate_sessions ?? DEFAULT_REVOCATION_SETTINGS.terminateSessions,
    ownedObjects: role?.revoke_owned_objects ?? DEFAULT_REVOCATION_SETTINGS.ownedObjects,
    reassignTo: role?.reassign_owned_to ?? DEFAULT_REVOCATION_SETTINGS.reassignTo,
  };
}
