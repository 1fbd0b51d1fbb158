/**
 * Reading the parameters of `auth/token/create`.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import type { RequestData } from "../../request.js";
import { policyNameItems } from "../../policy/policy-names.js";
import { normalizePolicyName } from "../../policy/policy-store.js";
import { parseOptionalDuration } from "../../util/ttl.js";

/** The parameters of a token creation, validated. */
export interface TokenCreateParams {
  policies: string[] | undefined;
  noDefaultPolicy: boolean;
  ttl: number | undefined;
  explicitMaxTtl: number | undefined;
  period: number | undefined;
  renewable: boolean;
  displayName: string;
  numUses: number;
  meta: Record<string, string>;
  noParent: boolean;
  /** The token role named in the body (`role_name`), if any. */
  roleName?: string;
}

/**
 * Validates the request data of `auth/token/create`.
 *
 * @throws InvalidRequestError naming the bad field
 */
export function parseTokenCreate(data: RequestData): TokenCreateParams {
  refuseUnsupported(data);
  return {
    policies: data.policies === undefined ? undefined : policyList(data.policies),
    noDefaultPolicy: flag(data.no_default_policy, "no_default_policy", false),
    // `lease` is Vault's deprecated name of `ttl`, read only when `ttl` is absent.
    ttl: parseOptionalDuration(data.ttl, "ttl") ?? parseOptionalDuration(data.lease, "lease"),
    explicitMaxTtl: parseOptionalDuration(data.explicit_max_ttl, "explicit_max_ttl"),
    period: parseOptionalDuration(data.period, "period"),
    renewable: flag(data.renewable, "renewable", true),
    displayName: displayName(data.display_name),
    numUses: numUses(data.num_uses),
    meta: meta(data.meta),
    noParent: flag(data.no_parent, "no_parent", false),
    roleName: optionalString(data.role_name, "role_name"),
  };
}

/**
 * What Vault documents for `create` but vaultlet cannot honour, refused when set: batch tokens,
 * entity aliases (no identity store) and caller-chosen token ids.
 */
function refuseUnsupported(data: RequestData): void {
  if (data.type !== undefined && data.type !== null && data.type !== "" && data.type !== "service") {
    throw new InvalidRequestError(`type ${JSON.stringify(data.type)} is not supported: vaultlet issues service tokens only; use "service" or leave it out`);
  }
  if (data.entity_alias !== undefined && data.entity_alias !== null && data.entity_alias !== "") {
    throw new InvalidRequestError("entity_alias is not supported: vaultlet has no identity store (entities and aliases); leave it out");
  }
  if (data.id !== undefined && data.id !== null && data.id !== "") {
    throw new InvalidRequestError(
      "id is not supported: vaultlet draws every token from node:crypto and never accepts a chosen one (a chosen token can be guessed); leave it out",
    );
  }
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new InvalidRequestError(`${field} must be a string`);
  return value;
}

/** The names as stored, split and normalized by the rule the parameter constraints judge them by (`policy-names.ts`). */
function policyList(value: unknown): string[] {
  const items = policyNameItems(value);
  if (items === undefined || !items.every((item): item is string => typeof item === "string")) {
    throw new InvalidRequestError("policies must be a list of policy names");
  }
  return [...new Set(items.map(normalizePolicyName))];
}

function flag(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw new InvalidRequestError(`${field} must be true or false`);
}

/** Vault's rule: `token-<name>` with everything outside `[a-z0-9-]` replaced by `-`; `token` when absent. */
function displayName(value: unknown): string {
  if (value === undefined || value === null || value === "") return "token";
  if (typeof value !== "string") throw new InvalidRequestError("display_name must be a string");
  return `token-${value.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 64);
}

function numUses(value: unknown): number {
  if (value === undefined || value === null || value === "") return 0;
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new InvalidRequestError("num_uses must be a non-negative integer");
  return n;
}

function meta(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value) || !Object.values(value).every((v) => typeof v === "string")) {
    throw new InvalidRequestError("meta must be an object of string values");
  }
  return { ...(value as Record<string, string>) };
}
