/**
 * Matching request paths to handlers inside a backend.
 *
 * @module
 */
import { UnsupportedOperationError } from "../errors.js";
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
 * const router = new PathRouter([{ pattern: "roles/:name", read: readRole, write: writeRole }]);
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
    const slash = path.indexOf("/");
    const candidates = this.#bySegment.get(slash === -1 ? path : path.slice(0, slash)) ?? this.#generic;
    for (const { route, regex, names } of candidates) {
      const match = regex.exec(path);
      if (!match) continue;
      const params: PathParams = {};
      names.forEach((name, i) => (params[name] = match[i + 1] ?? ""));
      return { route, params };
    }
    return undefined;
  }

  /** Whether something exists at `path`, for routes that can tell. */
  async exists(path: string): Promise<boolean> {
    const matched = this.match(path);
    return matched?.route.exists ? matched.route.exists(matched.params) : true;
  }

  /**
   * Dispatches a request. Resolves to `null` when no route matches (the engine answers 404);
   * rejects with {@link UnsupportedOperationError} when the route does not support the operation.
   */
  async handle(request: BackendRequest): Promise<BackendResponse | null> {
    const matched = this.match(request.path);
    if (!matched) return null;
    const handler = handlerFor(matched.route, request.operation);
    if (!handler) {
      throw new UnsupportedOperationError(`${request.operation} is not supported on this path`);
    }
    return handler(request, matched.params);
  }
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
  return { route, regex: new RegExp(`^${source}$`), names, firstSegment };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
