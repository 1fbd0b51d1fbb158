/**
 * Capabilities: the verbs a policy grants on a path, their bit flags for fast checks, and the
 * legacy `policy = "read" | "write" | "sudo" | "deny"` shorthand.
 *
 * @module
 */

/**
 * A capability a path rule can grant, as in Vault.
 *
 * `deny` overrides every other capability on the same pattern; `sudo` grants access to
 * root-protected paths; the rest map one-to-one to request operations.
 */
export type Capability =
  | "create"
  | "read"
  | "update"
  | "patch"
  | "delete"
  | "list"
  | "sudo"
  | "deny"
  | "subscribe"
  | "recover";

/** The legacy `policy = "…"` shorthand values accepted inside a path block. */
export type LegacyPolicy = "deny" | "read" | "write" | "sudo";

/** Bit flag of each capability; a compiled rule keeps the union of its capabilities as one number. */
export const CAPABILITY_BIT: Readonly<Record<Capability, number>> = Object.freeze({
  deny: 1 << 0,
  create: 1 << 1,
  read: 1 << 2,
  update: 1 << 3,
  delete: 1 << 4,
  list: 1 << 5,
  sudo: 1 << 6,
  patch: 1 << 7,
  subscribe: 1 << 8,
  recover: 1 << 9,
});

/**
 * The order in which Vault's capabilities endpoint reports capabilities. We report in the same
 * order so that output can be compared with Vault's verbatim.
 */
const REPORT_ORDER: readonly Capability[] = [
  "sudo",
  "read",
  "list",
  "update",
  "delete",
  "create",
  "patch",
  "subscribe",
  "recover",
];

const LEGACY_EXPANSION: Readonly<Record<LegacyPolicy, readonly Capability[]>> = {
  deny: ["deny"],
  read: ["read", "list"],
  write: ["create", "read", "update", "delete", "list"],
  sudo: ["create", "read", "update", "delete", "list", "sudo"],
};

/** Whether `value` names a capability. */
export function isCapability(value: string): value is Capability {
  return Object.hasOwn(CAPABILITY_BIT, value);
}

/** Whether `value` is one of the legacy shorthand policies. */
export function isLegacyPolicy(value: string): value is LegacyPolicy {
  return Object.hasOwn(LEGACY_EXPANSION, value);
}

/** The capabilities a legacy shorthand stands for, as Vault expands them (`write` has no `patch`). */
export function expandLegacyPolicy(policy: LegacyPolicy): readonly Capability[] {
  return LEGACY_EXPANSION[policy];
}

/** The bit set of a list of capabilities. */
export function capabilityBits(capabilities: readonly Capability[]): number {
  let bits = 0;
  for (const capability of capabilities) bits |= CAPABILITY_BIT[capability];
  return bits;
}

/**
 * The capabilities of a bit set as the capabilities endpoint reports them: `["deny"]` when `deny`
 * is set or when nothing is granted, else the granted capabilities in Vault's order.
 */
export function reportCapabilities(bits: number): Capability[] {
  if (bits & CAPABILITY_BIT.deny) return ["deny"];
  const granted = REPORT_ORDER.filter((capability) => bits & CAPABILITY_BIT[capability]);
  return granted.length === 0 ? ["deny"] : granted;
}
