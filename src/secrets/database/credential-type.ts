/**
 * Vault's `credential_type` and `credential_config` of roles and static roles. PostgreSQL issues
 * passwords only (as in Vault), so `password` is the one type; its one setting is the role's own
 * `password_policy`.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";
import type { RequestData } from "../../request.js";
import { optionalString } from "./fields.js";

/** Vault's credential types; only `password` is issued here. */
const VAULT_CREDENTIAL_TYPES = ["password", "rsa_private_key", "client_certificate"];

/**
 * The role's password policy from `credential_config.password_policy` and/or `password_policy`
 * (`undefined` when neither is given); refuses any other credential type or setting.
 *
 * @throws InvalidRequestError naming the field and why
 */
export function passwordPolicyOf(data: RequestData): string | undefined {
  const type = optionalString(data.credential_type, "credential_type");
  if (type !== undefined && type !== "" && type !== "password") {
    const known = VAULT_CREDENTIAL_TYPES.includes(type) ? "is not supported by PostgreSQL" : "is not a credential type";
    throw new InvalidRequestError(`credential_type ${JSON.stringify(type)} ${known}: only "password" is issued`);
  }
  const direct = optionalString(data.password_policy, "password_policy");
  const config = data.credential_config;
  if (config === undefined || config === null) return direct;
  if (typeof config !== "object" || Array.isArray(config)) throw new InvalidRequestError("credential_config must be an object, e.g. { \"password_policy\": \"name\" }");
  const unknown = Object.keys(config).filter((key) => key !== "password_policy");
  if (unknown.length > 0) {
    throw new InvalidRequestError(`credential_config: ${unknown.map((key) => JSON.stringify(key)).join(", ")} not supported for the password credential type (only "password_policy")`);
  }
  const nested = optionalString((config as Record<string, unknown>).password_policy, "credential_config.password_policy");
  if (direct !== undefined && nested !== undefined && direct !== nested) {
    throw new InvalidRequestError("password_policy and credential_config.password_policy differ; give one");
  }
  return nested ?? direct;
}

/** The `credential_type`/`credential_config` a read returns for a role with `passwordPolicy`. */
export function describeCredential(passwordPolicy: string | undefined): Record<string, unknown> {
  return { credential_type: "password", credential_config: passwordPolicy ? { password_policy: passwordPolicy } : {} };
}
