/**
 * Matching a request against the root paths its backend declares (see {@link Backend.rootPaths}).
 *
 * @module
 */
import type { Operation } from "../request.js";
import type { Backend, RootPath } from "./backend.js";

/**
 * A backend's root paths, compiled once: one alternation for the paths that need `sudo` for every
 * operation, and one per operation for the others, so a request costs at most two matches.
 */
export class RootPaths {
  readonly #anyOperation: RegExp | undefined;
  readonly #byOperation: ReadonlyMap<Operation, RegExp>;

  /** @param paths - mount-relative paths; one ending in `*` matches every path that starts with the rest */
  constructor(paths: readonly RootPath[]) {
    this.#anyOperation = combined(paths.filter((rule) => !rule.operations));
    const operations = new Set(paths.flatMap((rule) => rule.operations ?? []));
    this.#byOperation = new Map([...operations].map((operation) => [operation, combined(paths.filter((rule) => rule.operations?.includes(operation)))!]));
  }

  /** Whether `operation` on `path` (relative to the mount, no leading or trailing `/`) needs `sudo`. */
  requiresSudo(path: string, operation: Operation): boolean {
    return this.#anyOperation?.test(path) === true || this.#byOperation.get(operation)?.test(path) === true;
  }
}

/** Compiled root paths by backend: compiled at a backend's first request, not at every one. */
const compiled = new WeakMap<Backend, RootPaths | null>();

/**
 * The compiled root paths of `backend`, or `undefined` when it declares none: then its requests
 * (credentials, above all) skip the check.
 */
export function rootPathsOf(backend: Backend): RootPaths | undefined {
  let paths = compiled.get(backend);
  if (paths === undefined) {
    paths = backend.rootPaths && backend.rootPaths.length > 0 ? new RootPaths(backend.rootPaths) : null;
    compiled.set(backend, paths);
  }
  return paths ?? undefined;
}

/** One anchored alternation of the rules' paths, or `undefined` for no rules. */
function combined(rules: readonly RootPath[]): RegExp | undefined {
  if (rules.length === 0) return undefined;
  return new RegExp(`^(?:${rules.map((rule) => globSource(rule.path)).join("|")})$`);
}

function globSource(path: string): string {
  const prefix = path.endsWith("*");
  const literal = (prefix ? path.slice(0, -1) : path).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return prefix ? `${literal}.*` : literal;
}
