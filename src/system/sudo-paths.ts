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

/** The patterns that need sudo for every operation, as one expression; then those per operation. */
const ANY_OPERATION = combined(SUDO_PATHS.filter((rule) => !rule.operations));
const FOR_OPERATION = new Map<Operation, RegExp>(
  [...new Set(SUDO_PATHS.flatMap((rule) => rule.operations ?? []))].map((operation) => [
    operation,
    combined(SUDO_PATHS.filter((rule) => rule.operations?.includes(operation))),
  ]),
);

/** Whether `operation` on `path` (normalized, no leading or trailing `/`) needs `sudo`. */
export function requiresSudo(path: string, operation: Operation): boolean {
  // Every request asks; those outside sys/ and auth/token/ (credentials, above all) skip the list.
  if (!path.startsWith("sys/") && !path.startsWith("auth/token/")) return false;
  return ANY_OPERATION.test(path) || FOR_OPERATION.get(operation)?.test(path) === true;
}

/** One alternation of the rules' patterns: a single match per request instead of one per rule. */
function combined(rules: ReadonlyArray<{ pattern: RegExp }>): RegExp {
  return new RegExp(rules.map((rule) => `(?:${rule.pattern.source})`).join("|"));
}
