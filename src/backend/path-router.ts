/**
 * Matching request paths to handlers inside a backend.
 *
 * @module
 */
import { UnsupportedOperationError, UnsupportedPathError } from "../errors.js";
import type { Operation } from "../request.js";
import type { BackendRequest, BackendResponse } from "./backend.js";

/** Named parts of a matched path: `:name` segments and the `*rest` tail. */
export type PathParams = Record<string, string>;

/** Handles one operation on a matched path. */
export type PathHandler = (request: BackendRequest, params: PathParams) => Promise<BackendResponse | null>;

/** The handlers of one path pattern. `write` serves both `create` and `update`. */
export interface PathRoute {
  /**
   * The pattern, e.g. `"config/:name"`, `"roles"` or `"leases/revoke-prefix/*prefix"`. `:x` matches
   * one non-empty segment; a final `*x` matches the rest of the path (possibly empty).
   */
  pattern: string;
  /**
   * The request fields this path reads, for any of its operations (Vault's field schema). The
   * pattern's `:x`/`*x` names are known too. Any other field is named in the response's
   * `warnings`, as Vault does, so a misspelt or unsupported parameter is never silently dropped.
   * `"any"` for a path that takes arbitrary fields as its data (`sys/wrapping/wrap` wraps them all).
   */
  fields: readonly string[] | "any";
  read?: PathHandler;
  write?: PathHandler;
  delete?: PathHandler;
  list?: PathHandler;
  patch?: PathHandler;
  /** Tells whether something exists at the matched path (decides create vs update). */
  exists?: (params: PathParams) => Promise<boolean>;
}

interface CompiledRoute {
  route: PathRoute;
  /** The declared fields and the pattern's parameter names; `undefined` when any field is known. */
  known: ReadonlySet<string> | undefined;
  regex: RegExp;
  names: string[];
  /** The pattern's first segment when it is literal: only paths starting with it can match. */
  firstSegment: string | undefined;
}

/**
 * A table of path routes; the first route whose pattern matches wins.
 *
 * @example
 * ```ts
 * const router = new PathRouter([{ pattern: "roles/:name", fields: ["db_name"], read: readRole, write: writeRole }]);
 * await router.handle(request); // request.path === "roles/readonly"
 * ```
 */
export class PathRouter {
  /**
   * For each literal first segment, the routes a path starting with it can match, in table order:
   * the routes with that first segment and those starting with a parameter. A request then tries a
   * handful of patterns, not the whole table.
   */
  readonly #bySegment = new Map<string, CompiledRoute[]>();
  /** The routes starting with a parameter: all that a path with any other first segment can match. */
  readonly #generic: CompiledRoute[];

  /** @param routes - the routes, most specific first */
  constructor(routes: PathRoute[]) {
    const compiled = routes.map(compile);
    this.#generic = compiled.filter((route) => route.firstSegment === undefined);
    for (const { firstSegment } of compiled) {
      if (firstSegment === undefined || this.#bySegment.has(firstSegment)) continue;
      this.#bySegment.set(firstSegment, compiled.filter((route) => route.firstSegment === undefined || route.firstSegment === firstSegment));
    }
  }

  /** The matching route and its parameters, or `undefined`. */
  match(path: string): { route: PathRoute; params: PathParams } | undefined {
    const matched = this.#match(path);
    return matched && { route: matched.compiled.route, params: matched.params };
  }

  #match(path: string): { compiled: CompiledRoute; params: PathParams } | undefined {
    const slash = path.indexOf("/");
    const candidates = this.#bySegment.get(slash === -1 ? path : path.slice(0, slash)) ?? this.#generic;
    for (const compiled of candidates) {
      const match = compiled.regex.exec(path);
      if (!match) continue;
      const params: PathParams = {};
      compiled.names.forEach((name, i) => (params[name] = match[i + 1] ?? ""));
      return { compiled, params };
    }
    return undefined;
  }

  /** Whether something exists at `path`, for routes that can tell. */
  async exists(path: string): Promise<boolean> {
    const matched = this.match(path);
    return matched?.route.exists ? matched.route.exists(matched.params) : true;
  }

  /**
   * Dispatches a request, naming the fields the route does not know in the answer's `warnings`.
   *
   * @throws UnsupportedPathError when no route matches, whatever the operation: a write or delete
   *   there would do nothing, so it must not answer success
   * @throws UnsupportedOperationError when the route does not support the operation
   */
  async handle(request: BackendRequest): Promise<BackendResponse | null> {
    const matched = this.#match(request.path);
    if (!matched) throw new UnsupportedPathError(request.path);
    const { route, known } = matched.compiled;
    const handler = handlerFor(route, request.operation);
    if (!handler) {
      throw new UnsupportedOperationError(`${request.operation} is not supported on this path`);
    }
    const answer = await handler(request, matched.params);
    return withUnknownFieldWarning(answer, request, known);
  }
}

/**
 * Adds Vault's warning naming the request fields the route ignored. A read that found nothing
 * stays `null` (a 404): the warning would be lost in the error anyway.
 */
function withUnknownFieldWarning(answer: BackendResponse | null, request: BackendRequest, known: ReadonlySet<string> | undefined): BackendResponse | null {
  if (known === undefined) return answer;
  const unknown = Object.keys(request.data).filter((field) => !known.has(field));
  if (unknown.length === 0) return answer;
  if (answer === null && (request.operation === "read" || request.operation === "list")) return answer;
  const warning = unrecognizedParametersWarning(unknown);
  return { ...answer, warnings: [...(answer?.warnings ?? []), warning] };
}

/** Vault's wording, so clients and scripts that look for it find it: `…parameters: [a b]`. */
export function unrecognizedParametersWarning(fields: readonly string[]): string {
  return `Endpoint ignored these unrecognized parameters: [${[...fields].sort().join(" ")}]`;
}

function handlerFor(route: PathRoute, operation: Operation): PathHandler | undefined {
  if (operation === "create" || operation === "update") return route.write;
  return route[operation];
}

function compile(route: PathRoute): CompiledRoute {
  const names: string[] = [];
  let source = "";
  route.pattern.split("/").forEach((segment, index) => {
    const slash = index === 0 ? "" : "/";
    if (segment.startsWith("*")) {
      names.push(segment.slice(1));
      source += index === 0 ? "(.*)" : "(?:/(.*))?"; // the tail may be absent, slash included
    } else if (segment.startsWith(":")) {
      names.push(segment.slice(1));
      source += `${slash}([^/]+)`;
    } else {
      source += slash + escapeRegex(segment);
    }
  });
  const first = route.pattern.split("/")[0]!;
  const firstSegment = first.startsWith(":") || first.startsWith("*") ? undefined : first;
  const known = route.fields === "any" ? undefined : new Set([...route.fields, ...names]);
  return { route, known, regex: new RegExp(`^${source}$`), names, firstSegment };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
