/**
 * The settings Vault documents for `sys/mounts/:path` (enable, its `config` map) and
 * `sys/mounts/:path/tune` that vaultlet does not support: each is accepted at its default value
 * and refused with a 400 that names it and says why at any other, so none is ever accepted and
 * dropped. The supported ones (TTLs, `max_leases`, description, options) are parsed in
 * `mounts-routes.ts`.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";
import type { RequestData } from "../request.js";

/** Why each unsupported setting cannot take a value other than its default. */
const UNSUPPORTED: Readonly<Record<string, { reason: string; isDefault: (value: unknown) => boolean }>> = {
  audit_non_hmac_request_keys: { reason: "vaultlet's audit devices HMAC every request value; per-mount exceptions are not supported", isDefault: isEmpty },
  audit_non_hmac_response_keys: { reason: "vaultlet's audit devices HMAC every response value; per-mount exceptions are not supported", isDefault: isEmpty },
  listing_visibility: {
    reason: 'vaultlet has no UI listing endpoint, so every mount is "hidden" from it',
    isDefault: (value) => isEmpty(value) || value === "hidden",
  },
  passthrough_request_headers: { reason: "vaultlet is in-process: requests carry no HTTP headers to pass to a backend", isDefault: isEmpty },
  allowed_response_headers: { reason: "vaultlet is in-process: backends answer no HTTP headers", isDefault: isEmpty },
  plugin_version: { reason: "vaultlet's backends are built in and unversioned", isDefault: isEmpty },
  allowed_managed_keys: { reason: "managed keys are a Vault Enterprise feature", isDefault: isEmpty },
  delegated_auth_accessors: { reason: "vaultlet has no auth methods to delegate to", isDefault: isEmpty },
  identity_token_key: { reason: "vaultlet issues no identity tokens", isDefault: isEmpty },
  user_lockout_config: { reason: "vaultlet has no user/password auth methods to lock out", isDefault: isEmpty },
};

/** Mount-level (not `config`) settings of `sys/mounts/:path` that vaultlet does not support. */
const UNSUPPORTED_ON_ENABLE: Readonly<Record<string, string>> = {
  local: "vaultlet does not replicate, so there is no cluster a mount could be local to",
  seal_wrap: "seal wrapping is a Vault Enterprise feature (vaultlet encrypts every record at rest with encryptionKey)",
  external_entropy_access: "vaultlet draws every random value from node:crypto; there is no external entropy source",
};

/** The unsupported settings a tune or a mount's `config` may name (Vault's). */
export const UNSUPPORTED_SETTING_FIELDS: readonly string[] = Object.keys(UNSUPPORTED);

/** The unsupported mount-level fields of enable (besides `plugin_version`, also a `config` key). */
export const UNSUPPORTED_ENABLE_FIELDS: readonly string[] = [...Object.keys(UNSUPPORTED_ON_ENABLE), "plugin_version"];

/**
 * Refuses every unsupported setting of `data` given a value other than its default.
 *
 * @param where - how the caller names the map (`"config."` for enable's config)
 * @throws InvalidRequestError naming the setting and why
 */
export function refuseUnsupportedSettings(data: RequestData, where = ""): void {
  for (const [field, { reason, isDefault }] of Object.entries(UNSUPPORTED)) {
    if (field in data && !isDefault(data[field])) throw refusal(`${where}${field}`, reason);
  }
}

/**
 * Refuses enable's mount-level flags set to `true`, and a `plugin_version`.
 *
 * @throws InvalidRequestError naming the field and why
 */
export function refuseUnsupportedEnableFields(data: RequestData): void {
  for (const [field, reason] of Object.entries(UNSUPPORTED_ON_ENABLE)) {
    if (data[field] !== undefined && data[field] !== null && data[field] !== false && data[field] !== "false") throw refusal(field, reason);
  }
  if (!isEmpty(data.plugin_version)) throw refusal("plugin_version", UNSUPPORTED.plugin_version!.reason);
}

/**
 * `token_type` (tune): only the token mount has token types, and vaultlet issues service tokens
 * only, so `default-service` and `service` are the values it can honour.
 *
 * @throws InvalidRequestError for another value, or on any mount but `auth/token/`
 */
export function checkTokenType(value: unknown, mountPath: string): void {
  if (isEmpty(value)) return;
  if (mountPath !== "auth/token/") throw refusal("token_type", "token_type can only be set on auth mounts");
  if (value !== "default-service" && value !== "service") throw refusal("token_type", 'vaultlet issues service tokens only ("default-service" or "service")');
}

function refusal(field: string, reason: string): InvalidRequestError {
  return new InvalidRequestError(`${field} is not supported: ${reason}`);
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}
