/**
 * @module
 */
import type { LeaseManager } from "../leases/lease-manager.js";
import type { Clock } from "../util/clock.js";
import type { PolicyStore } from "../policy/policy-store.js";
import type { TokenStore } from "../auth/token/token-store.js";
import type { MountEntry } from "../mounts/mount-entry.js";
import type { MountTable } from "../mounts/mount-table.js";
import type { AuditBroker } from "../audit/audit-broker.js";
import type { PasswordPolicyStore } from "../passwords/password-policy-store.js";

/**
 * The parts of the engine the system backend (`sys/`) manages. Kept narrow so the system backend
 * cannot reach into storage or tokens it has no business with.
 */
export interface EngineInternals {
  clock: Clock;
  mounts: MountTable;
  leases: LeaseManager;
  policies: PolicyStore;
  tokens: TokenStore;
  /** The audit devices (`sys/audit`). */
  audit: AuditBroker;
  /** Password policies (`sys/policies/password`). */
  passwordPolicies: PasswordPolicyStore;
  /** Types that can be mounted. */
  mountTypes(): string[];
  /** Creates the backend and adds the entry; nothing is written if the backend cannot be created. */
  enableMount(entry: Omit<MountEntry, "uuid" | "accessor" | "builtin">): Promise<void>;
  /** Revokes the mount's leases, closes its backend, removes the entry and its storage. */
  disableMount(path: string): Promise<void>;
}
