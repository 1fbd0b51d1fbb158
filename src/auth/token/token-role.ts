/**
 * Token roles (`auth/token/roles/:name`): what a role holds, how a write is read into it (Vault's
 * fields, create defaults and update merging), and the read view.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import type { RequestData } from "../../request.js";
import { policyNameItems } from "../../policy/policy-names.js";
import { parseOptionalDuration } from "../../util/ttl.js";

/** The longest role name accepted (Vault has no limit; a bound keeps storage keys and paths sane). */
export const MAX_TOKEN_ROLE_NAME_LENGTH = 128;

/** Vault's role-name rule (`framework.GenericNameRegex`): word characters, `-` and `.`, starting and ending with a word character. */
const ROLE_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/** One segment of a `path_suffix`: the same rule as a role name. */
const SUFFIX_SEGMENT = ROLE_NAME;

/** A policy name or glob in a role's lists: a policy name's characters, plus `*` for globs. */
const POLICY_ENTRY = /^[a-z0-9_.@*-]{1,128}$/;

/** A token role as stored. Durations are seconds; `0` = not set. */
export interface TokenRole {
  name: string;
  allowedPolicies: string[];
  disallowedPolicies: string[];
  allowedPoliciesGlob: string[];
  disallowedPoliciesGlob: string[];
  orphan: boolean;
  renewable: boolean;
  pathSuffix: string;
  /** The effective explicit max TTL of the role's tokens. */
  tokenExplicitMaxTtl: number;
  /** The effective period of the role's tokens. */
  tokenPeriod: number;
  /** The legacy `explicit_max_ttl` as written (read back for old clients; 0 once `token_explicit_max_ttl` is written). */
  explicitMaxTtl: number;
  /** The legacy `period` as written (read back for old clients; 0 once `token_period` is written). */
  period: number;
  tokenNoDefaultPolicy: boolean;
  tokenNumUses: number;
  /** Always a service type: `"service"` (forced) or `"default-service"` (the default). */
  tokenType: "service" | "default-service";
}

/** The fields `auth/token/roles/:name` reads. */
export const TOKEN_ROLE_FIELDS = [
  "allowed_policies", "disallowed_policies", "allowed_policies_glob", "disallowed_policies_glob", "orphan", "renewable", "path_suffix",
  "allowed_entity_aliases", "token_bound_cidrs", "bound_cidrs", "token_explicit_max_ttl", "explicit_max_ttl", "token_period", "period",
  "token_no_default_policy", "token_num_uses", "token_type",
] as const;

/**
 * Checks a role name from the path.
 *
 * @throws InvalidRequestError for a name outside Vault's rule or longer than {@link MAX_TOKEN_ROLE_NAME_LENGTH}
 */
export function checkRoleName(name: string): string {
  if (name.length > MAX_TOKEN_ROLE_NAME_LENGTH || !ROLE_NAME.test(name)) {
    throw new InvalidRequestError(
      `role name is invalid: use letters, digits, "_", "-" and ".", starting and ending with a letter, digit or "_", at most ${MAX_TOKEN_ROLE_NAME_LENGTH} characters`,
    );
  }
  return name;
}

/**
 * Reads a role write into the role to store, as Vault does: on create, absent fields take their
 * defaults; on update, absent fields keep their values. Fields Vault documents that need identity
 * or a client address (`allowed_entity_aliases`, `token_bound_cidrs`, `bound_cidrs`) and token
 * types other than service are refused when set.
 *
 * @param existing - the stored role, or `undefined` for a create
 * @returns the role and Vault's warnings (both a legacy and a `token_` field given)
 * @throws InvalidRequestError naming the bad or unsupported field
 */
export function applyRoleWrite(name: string, data: RequestData, existing: TokenRole | undefined): { role: TokenRole; warnings: string[] } {
  refuseUnsupported(data);
  const base = existing ?? defaultRole(name);
  const given = (field: string) => data[field] !== undefined && data[field] !== null;
  const role: TokenRole = {
    ...base,
    allowedPolicies: given("allowed_policies") ? policyEntries(data.allowed_policies, "allowed_policies", false) : base.allowedPolicies,
    disallowedPolicies: given("disallowed_policies") ? policyEntries(data.disallowed_policies, "disallowed_policies", false) : base.disallowedPolicies,
    allowedPoliciesGlob: given("allowed_policies_glob") ? policyEntries(data.allowed_policies_glob, "allowed_policies_glob", true) : base.allowedPoliciesGlob,
    disallowedPoliciesGlob: given("disallowed_policies_glob")
      ? policyEntries(data.disallowed_policies_glob, "disallowed_policies_glob", true)
      : base.disallowedPoliciesGlob,
    orphan: given("orphan") ? flag(data.orphan, "orphan") : base.orphan,
    renewable: given("renewable") ? flag(data.renewable, "renewable") : base.renewable,
    pathSuffix: given("path_suffix") ? pathSuffix(data.path_suffix) : base.pathSuffix,
    tokenNoDefaultPolicy: given("token_no_default_policy") ? flag(data.token_no_default_policy, "token_no_default_policy") : base.tokenNoDefaultPolicy,
    tokenNumUses: given("token_num_uses") ? numUses(data.token_num_uses) : base.tokenNumUses,
    tokenType: given("token_type") ? tokenType(data.token_type) : base.tokenType,
  };
  const warnings: string[] = [];
  mergeLegacy(role, data, "period", warnings);
  mergeLegacy(role, data, "explicit_max_ttl", warnings);
  return { role, warnings };
}

/**
 * A `token_` duration and its legacy name, as Vault keeps them: the `token_` field wins (and the
 * legacy value is cleared, with a warning when both were given); the legacy field alone sets both.
 */
function mergeLegacy(role: TokenRole, data: RequestData, legacy: "period" | "explicit_max_ttl", warnings: string[]): void {
  const modern = `token_${legacy}` as const;
  const given = (field: string) => data[field] !== undefined && data[field] !== null;
  const legacyKey = legacy === "period" ? "period" : "explicitMaxTtl";
  const modernKey = legacy === "period" ? "tokenPeriod" : "tokenExplicitMaxTtl";
  if (given(modern)) {
    role[modernKey] = parseOptionalDuration(data[modern], modern) ?? 0;
    if (given(legacy)) warnings.push(`Both '${modern}' and deprecated '${legacy}' value supplied, ignoring the deprecated value`);
    role[legacyKey] = 0;
  } else if (given(legacy)) {
    role[legacyKey] = parseOptionalDuration(data[legacy], legacy) ?? 0;
    role[modernKey] = role[legacyKey];
  }
}

/** Vault's read view of a role. */
export function describeRole(role: TokenRole): Record<string, unknown> {
  const view: Record<string, unknown> = {
    name: role.name,
    allowed_policies: role.allowedPolicies,
    disallowed_policies: role.disallowedPolicies,
    allowed_policies_glob: role.allowedPoliciesGlob,
    disallowed_policies_glob: role.disallowedPoliciesGlob,
    allowed_entity_aliases: [],
    orphan: role.orphan,
    renewable: role.renewable,
    path_suffix: role.pathSuffix,
    period: role.period,
    token_period: role.tokenPeriod,
    explicit_max_ttl: role.explicitMaxTtl,
    token_explicit_max_ttl: role.tokenExplicitMaxTtl,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    token_type: role.tokenType,
  };
  if (role.tokenNumUses > 0) view.token_num_uses = role.tokenNumUses;
  return view;
}

function defaultRole(name: string): TokenRole {
  return {
    name,
    allowedPolicies: [],
    disallowedPolicies: [],
    allowedPoliciesGlob: [],
    disallowedPoliciesGlob: [],
    orphan: false,
    renewable: true,
    pathSuffix: "",
    tokenExplicitMaxTtl: 0,
    tokenPeriod: 0,
    explicitMaxTtl: 0,
    period: 0,
    tokenNoDefaultPolicy: false,
    tokenNumUses: 0,
    tokenType: "default-service",
  };
}

/** Refuses, when set, what vaultlet cannot honour in-process: identities and client addresses. */
function refuseUnsupported(data: RequestData): void {
  if (!isEmptyList(data.allowed_entity_aliases)) {
    throw new InvalidRequestError("allowed_entity_aliases is not supported: vaultlet has no identity store (entities and aliases); leave it empty");
  }
  for (const field of ["token_bound_cidrs", "bound_cidrs"]) {
    if (!isEmptyList(data[field])) {
      throw new InvalidRequestError(
        `${field} is not supported: requests reach vaultlet in-process, without a client address to check; leave it empty and restrict addresses in the host`,
      );
    }
  }
}

function isEmptyList(value: unknown): boolean {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && value.every((item) => item === ""));
}

/** A comma-separated string or a list, trimmed, lower-cased, de-duplicated and sorted (Vault's `RemoveDuplicates`). */
function policyEntries(value: unknown, field: string, glob: boolean): string[] {
  // The same split and normalization the parameter constraints judge these fields by (`policy-names.ts`).
  const items = policyNameItems(value);
  if (items === undefined || !items.every((item): item is string => typeof item === "string")) {
    throw new InvalidRequestError(`${field} must be a list of policy names or a comma-separated string`);
  }
  const names = [...new Set(items)].sort();
  for (const name of names) {
    if (!POLICY_ENTRY.test(name) || (!glob && name.includes("*"))) {
      throw new InvalidRequestError(`${field}: ${JSON.stringify(name)} is not a policy name${glob ? " or glob" : ""}`);
    }
  }
  // Vault's `allowed_policies` collapses to root alone when it lists root.
  return !glob && field === "allowed_policies" && names.includes("root") ? ["root"] : names;
}

function pathSuffix(value: unknown): string {
  if (typeof value !== "string") throw new InvalidRequestError("path_suffix must be a string");
  if (value === "") return "";
  if (value.length > MAX_TOKEN_ROLE_NAME_LENGTH || !value.split("/").every((segment) => SUFFIX_SEGMENT.test(segment)) || value.includes("..")) {
    throw new InvalidRequestError(
      'path_suffix is invalid: "/"-separated segments of letters, digits, "_", "-" and ".", each starting and ending with a letter, digit or "_", no ".."',
    );
  }
  return value;
}

function tokenType(value: unknown): TokenRole["tokenType"] {
  if (value === "service") return "service";
  if (value === "default-service" || value === "default" || value === "") return "default-service";
  if (value === "batch" || value === "default-batch") {
    throw new InvalidRequestError(`token_type ${JSON.stringify(value)} is not supported: vaultlet issues service tokens only; use "service" or "default-service"`);
  }
  throw new InvalidRequestError(`invalid 'token_type' value ${JSON.stringify(value)}`);
}

function flag(value: unknown, field: string): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw new InvalidRequestError(`${field} must be true or false`);
}

function numUses(value: unknown): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new InvalidRequestError("token_num_uses must be a non-negative integer");
  return n;
}

/** The parts of a token creation a role decides, merged with what the request asked. */
export interface RoleCreateTerms {
  explicitMaxTtl: number | undefined;
  period: number | undefined;
  numUses: number;
  renewable: boolean;
  /** Vault's warnings when the request and the role both set a limit. */
  warnings: string[];
}

/**
 * Merges a role into a creation's terms, as Vault's `handleCreateCommon`: the lesser of the
 * request's and the role's `explicit_max_ttl` and `period` (with a warning when both are set), the
 * lesser non-zero `num_uses`, and never renewable when the role is not.
 */
export function roleCreateTerms(
  role: TokenRole,
  asked: { explicitMaxTtl: number | undefined; period: number | undefined; numUses: number; renewable: boolean },
): RoleCreateTerms {
  const warnings: string[] = [];
  const lesser = (mine: number | undefined, theirs: number, label: string): number | undefined => {
    if (!theirs) return mine;
    if (!mine) return theirs;
    const chosen = Math.min(mine, theirs);
    warnings.push(`${label} specified both during creation call and in role; using the lesser value of ${chosen} seconds`);
    return chosen;
  };
  const explicitMaxTtl = lesser(asked.explicitMaxTtl, role.tokenExplicitMaxTtl, "Explicit max TTL");
  const period = lesser(asked.period, role.tokenPeriod, "Period");
  const numUses = role.tokenNumUses === 0 ? asked.numUses : asked.numUses === 0 ? role.tokenNumUses : Math.min(asked.numUses, role.tokenNumUses);
  return { explicitMaxTtl, period, numUses, renewable: asked.renewable && role.renewable, warnings };
}
