/**
 * `<db>/roles/<name>`: what a dynamic credential is — the SQL that creates, renews and revokes it,
 * and its TTLs.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import type { RequestData } from "../../request.js";
import { normalizeStatements } from "../../util/sql-statements.js";
import { validateTemplate } from "../../util/template.js";
import { parseOptionalDuration } from "../../util/ttl.js";
import { optionalString, statementList } from "./fields.js";
import { parseOptionalMaxLeases } from "../../guardrails/max-leases.js";

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
}

/** The variables a statement template may use. `{{username}}` is an alias of `{{name}}`. */
export const STATEMENT_VARIABLES = ["name", "username", "password", "expiration"] as const;

const STATEMENT_FIELDS = ["creation_statements", "revocation_statements", "renew_statements", "rollback_statements"] as const;

/**
 * Builds a role from a write request, over the existing role when updating.
 *
 * @throws InvalidRequestError naming the bad field
 */
export function parseRole(data: RequestData, existing: Role | undefined): Role {
  const role: Role = {
    db_name: optionalString(data.db_name, "db_name") ?? existing?.db_name ?? "",
    creation_statements: statementsField(data, "creation_statements", existing),
    revocation_statements: statementsField(data, "revocation_statements", existing),
    renew_statements: statementsField(data, "renew_statements", existing),
    rollback_statements: statementsField(data, "rollback_statements", existing),
    default_ttl: parseOptionalDuration(data.default_ttl, "default_ttl") ?? existing?.default_ttl ?? 0,
    max_ttl: parseOptionalDuration(data.max_ttl, "max_ttl") ?? existing?.max_ttl ?? 0,
    max_leases: parseOptionalMaxLeases(data.max_leases) ?? existing?.max_leases ?? 0,
  };
  if (!role.db_name) throw new InvalidRequestError("db_name is required: the name of a connection under config/");
  if (role.creation_statements.length === 0) throw new InvalidRequestError("creation_statements is required");
  if (role.max_ttl > 0 && role.default_ttl > role.max_ttl) {
    throw new InvalidRequestError("default_ttl cannot be greater than max_ttl");
  }
  return role;
}

function statementsField(data: RequestData, field: (typeof STATEMENT_FIELDS)[number], existing: Role | undefined): string[] {
  const given = statementList(data[field], field);
  if (given === undefined) return existing?.[field] ?? [];
  const statements = normalizeStatements(given);
  for (const statement of statements) validateTemplate(statement, STATEMENT_VARIABLES, field);
  return statements;
}

/** The role as a read returns it. */
export function describeRole(role: Role): Record<string, unknown> {
  return { ...role, max_leases: role.max_leases ?? 0, credential_type: "password" };
}
