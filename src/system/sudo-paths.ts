/**
 * Paths that need `sudo` on top of the operation's capability, as Vault's "root paths".
 *
 * Vault's list is followed exactly, which is why `sys/mounts` and `sys/policy` are *not* here: the
 * seed guide's admin policy manages both without `sudo`.
 *
 * @module
 */
import type { Operation } from "../request.js";

const SUDO_PATHS: ReadonlyArray<{ pattern: RegExp; operations?: readonly Operation[] }> = [
  { pattern: /^sys\/(leases\/)?revoke-prefix(\/|$)/ },
  { pattern: /^sys\/(leases\/)?revoke-force(\/|$)/ },
  { pattern: /^sys\/leases\/lookup\//, operations: ["list"] },
  { pattern: /^sys\/leases$/, operations: ["list"] },
  { pattern: /^sys\/audit(\/|$)/ },
  { pattern: /^sys\/audit-hash(\/|$)/ },
  { pattern: /^sys\/raw(\/|$)/ },
  { pattern: /^sys\/rotate$/ },
  { pattern: /^sys\/config\/auditing(\/|$)/ },
  { pattern: /^sys\/plugins\/catalog(\/|$)/ },
  { pattern: /^auth\/token\/accessors\/?$/ },
  { pattern: /^auth\/token\/revoke-orphan(\/|$)/ },
];

/** Whether `operation` on `path` (normalized, no leading or trailing `/`) needs `sudo`. */
export function requiresSudo(path: string, operation: Operation): boolean {
  // Every request asks; those outside sys/ and auth/token/ (credentials, above all) skip the list.
  if (!path.startsWith("sys/") && !path.startsWith("auth/token/")) return false;
  return SUDO_PATHS.some((rule) => rule.pattern.test(path) && (!rule.operations || rule.operations.includes(operation)));
}
