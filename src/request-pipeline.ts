/**
 * The request pipeline: validate → authenticate → (for `Client.write`: create or update) →
 * authorize → route → sudo → audit → use the token → dispatch → envelope → wrap (when the
 * request asks for response wrapping), over one {@link RequestContext}. A path its backend serves
 * without a token (`sys/wrapping/lookup`) skips authorization and the token's use.
 *
 * @module
 */
import type { RequestPressure } from "./util/request-pressure.js";
import { NotFoundError, PermissionDeniedError, UnsupportedPathError } from "./errors.js";
import type { Backend, BackendRequest, BackendResponse, PendingLease, SecretSpec } from "./backend/backend.js";
import { rootPathsOf } from "./backend/root-paths.js";
import type { AuditBroker } from "./audit/audit-broker.js";
import type { RequestAudit } from "./audit/request-audit.js";
import type { TokenEntry } from "./auth/token/token-entry.js";
import type { TokenManager } from "./auth/token/token-manager.js";
import type { TokenStore } from "./auth/token/token-store.js";
import type { MountEntry } from "./mounts/mount-entry.js";
import type { EvaluationRequest, PolicyEvaluator } from "./policy/evaluator.js";
import type { PolicyStore } from "./policy/policy-store.js";
import type { Operation, Request, RequestData, RequestOptions, Response } from "./request.js";
import { newRequestContext, type RequestContext } from "./request-context.js";
import type { RequestHandler } from "./request-handler.js";
import { validateRequest, type ValidRequest } from "./request-validation.js";
import { parseOptionalDuration } from "./util/ttl.js";
import type { WrapRequest } from "./wrapping/response-wrapping.js";

/** Where a path is served: its mount, the mount's backend, and the path below the mount. */
export interface MountRoute {
  /** The mount whose path is the longest prefix of the request's. */
  mount: MountEntry;
  /** The mount's backend. */
  backend: Backend;
  /** The path relative to the mount (no leading `/`). */
  relativePath: string;
}

/** Where a secret's lease comes from: the mount, the path below it, the requesting token. */
export interface LeaseOrigin {
  /** The mount that issues the secret. */
  mount: MountEntry;
  /** The request path relative to the mount (the lease id starts with it). */
  path: string;
  /** The requesting token's accessor (the lease's owner unless the backend names another). */
  tokenAccessor: string;
  /**
   * Called once the secret exists, before its lease turns active: throws when the requesting
   * token was revoked meanwhile, and the secret is then revoked (see `leases/pending-lease.ts`).
   */
  confirm?: () => Promise<void>;
  /** The storage key whose existence `confirm` checks, so storage can check it in the activation's own step. */
  confirmKey?: string;
}

/** What the pipeline asks the policies about a request: a request operation, its validated data. */
type PolicyQuestion = EvaluationRequest & { operation: Operation; data: RequestData };

/** What the pipeline works with: each step's collaborator, no more. */
export interface RequestPipelineDeps {
  /** Throws when the engine does not serve (closed, or not initialized). */
  assertServing(): void;
  /** Starts a request's audit trail over its context. */
  audit: Pick<AuditBroker, "begin">;
  /** Resolves the presented token: the one token lookup of the request. */
  tokens: Pick<TokenStore, "lookup">;
  /** The token policies' evaluators. */
  policies: Pick<PolicyStore, "evaluatorFor">;
  /** Counts a use of the token, and revokes it after its last. */
  tokenUse: Pick<TokenManager, "use" | "revoke" | "confirmLive" | "liveKey">;
  /**
   * Matches a (normalized) path to its mount.
   *
   * @throws NotFoundError when nothing is mounted there
   */
  route(path: string): MountRoute;
  /** Issues a secret under a lease (quotas checked), for the backend that serves the request. */
  issue(origin: LeaseOrigin, spec: SecretSpec, create: (lease: PendingLease) => Promise<Record<string, unknown>>): Promise<BackendResponse>;
  /** Keeps a response behind a new wrapping token and returns the wrapped envelope. */
  wrap(response: Response, request: WrapRequest): Promise<Response>;
  /** Counts the requests in flight, which background work (a revocation storm) gives way to. */
  pressure?: Pick<RequestPressure, "enter">;
}

/** The anonymous caller of a path served without a token. */
const ANONYMOUS = { displayName: "", accessor: "", policies: [] as readonly string[] };

/**
 * Serves requests, step by step, over one {@link RequestContext} that the audit trail reads when
 * it records. Authentication comes before anything that could reveal whether a path exists.
 */
export class RequestPipeline implements RequestHandler {
  readonly #deps: RequestPipelineDeps;

  /** @param deps - the collaborators of the steps */
  constructor(deps: RequestPipelineDeps) {
    this.#deps = deps;
  }

  /** Serves one request. */
  async request(request: Request): Promise<Response> {
    this.#deps.assertServing();
    return this.#run(newRequestContext(request), false);
  }

  /** Serves a write: `create` when nothing exists at the path, else `update` (as in Vault). */
  async write(token: string, path: string, data: RequestData, options?: RequestOptions): Promise<Response> {
    this.#deps.assertServing();
    // Recorded as an `update` (as Vault does) if it fails before the pipeline resolves which it is.
    const request: Request = options?.wrapTtl === undefined ? { token, operation: "update", path, data } : { token, operation: "update", path, data, wrapTtl: options.wrapTtl };
    return this.#run(newRequestContext(request), true);
  }

  /** Runs the steps inside the request's audit trail: a failure at any step is recorded. */
  async #run(context: RequestContext, resolveWrite: boolean): Promise<Response> {
    const audit = this.#deps.audit.begin(context);
    const leave = this.#deps.pressure?.enter();
    try {
      const response = await this.#serve(context, audit, resolveWrite);
      await audit.recordResponse(response);
      return response;
    } catch (err) {
      await audit.recordFailure(err);
      throw err;
    } finally {
      leave?.();
    }
  }

  async #serve(context: RequestContext, audit: RequestAudit, resolveWrite: boolean): Promise<Response> {
    const valid = validateRequest(context.operation, context.path, context.data);
    context.path = valid.path;
    context.data = valid.data;
    const wrapTtl = wrapTtlOf(context.presented.wrapTtl);
    const open = this.#unauthenticatedRoute(valid.path);
    if (open) return this.#serveUnauthenticated(context, audit, open, valid, resolveWrite, wrapTtl);
    const token = (context.token = await this.#authenticate(context.presented.token));
    const operation = resolveWrite ? await this.#createOrUpdate(valid.path) : valid.operation;
    context.operation = operation;
    // A denial names the operation as the caller asked it: `write` for a `Client.write`, never
    // `create` or `update`, which would tell whether something exists at the path.
    const asked = resolveWrite ? "write" : operation;
    const sudo = await this.#authorize(token, operation, valid.path, valid.data, asked, wrapTtl);
    const route = this.#deps.route(valid.path);
    context.mount = route.mount;
    this.#requireSudo(route, operation, valid.path, sudo, asked);
    // Fail closed: nothing is changed unless an audit device recorded the request.
    await audit.recordRequest();
    // Token use (num_uses): counted here, after every check passed and before the backend acts.
    const lastUse = await this.#deps.tokenUse.use(token);
    try {
      return await this.#dispatch(route, operation, valid.path, valid.data, token, context.id, context.presented.token, wrapTtl);
    } finally {
      if (lastUse) await this.#deps.tokenUse.revoke(token);
    }
  }

  /** The route of `path` when its backend serves it without a token, else `undefined`. */
  #unauthenticatedRoute(path: string): MountRoute | undefined {
    const route = this.#routeIfMounted(path);
    return route?.backend.unauthenticatedPaths?.includes(route.relativePath) ? route : undefined;
  }

  /**
   * Serves a path its backend declares unauthenticated: a token presented is looked up (the
   * backend may use it, and audit records it) but not required, not checked against policies,
   * and not used — looking up a wrapping token must not spend its one use.
   */
  async #serveUnauthenticated(
    context: RequestContext,
    audit: RequestAudit,
    route: MountRoute,
    valid: ValidRequest,
    resolveWrite: boolean,
    wrapTtl: number | undefined,
  ): Promise<Response> {
    const presented = context.presented.token;
    const token = typeof presented === "string" && presented !== "" ? await this.#deps.tokens.lookup(presented) : undefined;
    if (token) context.token = token;
    const operation = resolveWrite ? "update" : valid.operation;
    context.operation = operation;
    context.mount = route.mount;
    await audit.recordRequest();
    return this.#dispatch(route, operation, valid.path, valid.data, token, context.id, presented, wrapTtl);
  }

  async #authenticate(presented: unknown): Promise<TokenEntry> {
    const entry = await this.#deps.tokens.lookup(presented);
    if (!entry) throw new PermissionDeniedError("permission denied: missing, invalid or expired token");
    return entry;
  }

  /**
   * A write is a `create` when nothing exists at the path, else an `update`. Asked only once the
   * caller is authenticated, so existence is never revealed to a caller without a valid token.
   */
  async #createOrUpdate(path: string): Promise<Operation> {
    const route = this.#routeIfMounted(path);
    // Nothing mounted: nothing exists. The authorization step decides next, so an unmounted path
    // is denied like any other, and only an allowed caller learns that nothing serves it.
    if (!route) return "create";
    const { backend, relativePath } = route;
    const exists = backend.exists ? await backend.exists(relativePath) : true;
    this.#deps.assertServing(); // the engine may have closed while the backend looked
    return exists ? "update" : "create";
  }

  /** The route of `path`, or `undefined` when nothing is mounted there. */
  #routeIfMounted(path: string): MountRoute | undefined {
    try {
      return this.#deps.route(path);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Allows the request only if the token's policies grant the operation.
   *
   * @param asked - the operation as the caller asked it, the only one a denial names
   * @returns whether the policies also grant `sudo` there (the routed backend decides if it is needed)
   */
  async #authorize(token: TokenEntry, operation: Operation, path: string, data: RequestData, asked: string, wrapTtl: number | undefined): Promise<boolean> {
    const evaluator = await this.#deps.policies.evaluatorFor(token.policies);
    // The wrap TTL is checked against the winning rule's min/max_wrapping_ttl, as in Vault.
    const request: PolicyQuestion = wrapTtl === undefined ? { path, operation, data } : { path, operation, data, wrapTtl };
    const decision = evaluator.evaluate(request);
    if (decision.allowed) return decision.sudo;
    if (await this.#holderMayAct(token, evaluator, request)) return false;
    // The same denial whether or not the holder rule applied or the thing it names exists.
    throw new PermissionDeniedError(`permission denied: ${asked} on ${JSON.stringify(path)}`);
  }

  /**
   * The holder rule (see {@link Backend.holderOf}): asked only after the policies denied, so a
   * request they allow costs nothing more. It adds only where the policies are silent, judged by
   * the same evaluator (the token's policies as they are now):
   *
   * - an explicit word stands: a `deny`, or a rule that grants the operation but refuses the
   *   request's data or wrapping TTL, on the request — or on any other form of it the backend
   *   names — refuses it;
   * - the routed backend must name the caller as the holder of what the request acts on;
   * - the caller's policies must still grant `read` where that was issued (a token whose policies
   *   no longer let it read its creds path has no say over the leases it got there).
   *
   * Never grants `sudo`.
   */
  async #holderMayAct(token: TokenEntry, evaluator: PolicyEvaluator, request: PolicyQuestion): Promise<boolean> {
    if (evaluator.refusal(request) !== "not-granted") return false;
    const route = this.#routeIfMounted(request.path);
    if (!route?.backend.holderOf) return false;
    const holding = await route.backend.holderOf({ operation: request.operation, path: route.relativePath, data: request.data });
    if (holding === undefined || holding.accessor !== token.accessor) return false;
    const mountPath = route.mount.path;
    for (const form of holding.forms) {
      const refusal = evaluator.refusal({ ...request, path: `${mountPath}${form.path}`, data: form.data });
      if (refusal === "deny" || refusal === "constraint") return false;
    }
    return mayRead(evaluator, holding.issuedBy);
  }

  /** Refuses a request on one of the routed backend's root paths unless the policies grant `sudo`. */
  #requireSudo(route: MountRoute, operation: Operation, path: string, sudo: boolean, asked: string): void {
    if (sudo) return;
    if (rootPathsOf(route.backend)?.requiresSudo(route.relativePath, operation)) {
      throw new PermissionDeniedError(`permission denied: ${asked} on ${JSON.stringify(path)} needs sudo`);
    }
  }

  async #dispatch(
    route: MountRoute,
    operation: Operation,
    path: string,
    data: RequestData,
    token: TokenEntry | undefined,
    requestId: string,
    presented: unknown,
    wrapTtl: number | undefined,
  ): Promise<Response> {
    const { mount, backend, relativePath } = route;
    const request: BackendRequest = {
      operation,
      path: relativePath,
      data,
      caller: token ? { displayName: token.displayName, accessor: token.accessor, policies: token.policies } : ANONYMOUS,
      secrets: {
        issue: (spec, create) => {
          if (!token) throw new PermissionDeniedError("permission denied: a request without a token issues no secret");
          // Re-checked in storage after the secret exists: a revocation racing this request wins.
          const confirm = () => this.#deps.tokenUse.confirmLive(token);
          const confirmKey = this.#deps.tokenUse.liveKey(token);
          return this.#deps.issue({ mount, path: relativePath, tokenAccessor: token.accessor, confirm, confirmKey }, spec, create);
        },
      },
    };
    // Authenticated above, so it is the caller's valid token; only the token backend gets it.
    if (backend.receivesClientToken) request.clientToken = presented as string;
    if (wrapTtl !== undefined) request.wrapTtl = wrapTtl;
    const answer = await backend.handle(request).catch((err: unknown) => {
      // The backend names the path below its mount; the caller asked for the full one.
      throw err instanceof UnsupportedPathError ? new UnsupportedPathError(path, { cause: err }) : err;
    });
    if (answer === null && (operation === "read" || operation === "list")) {
      throw new NotFoundError(`nothing at ${JSON.stringify(path)}`);
    }
    const response = envelope(answer, requestId);
    // Wrapped after dispatch, as Vault does: a lease the backend issued stays owned by the
    // requesting token, and travels inside the wrapped response. Nothing (204) is not wrapped.
    if (wrapTtl === undefined || answer === null || answer.wrapInfo) return response;
    const caller = token && { accessor: token.accessor, displayName: token.displayName };
    return this.#deps.wrap(response, caller ? { ttl: wrapTtl, path, caller } : { ttl: wrapTtl, path });
  }
}

/** Whether these policies grant `read` on `path`, as `sys/capabilities` would report it. */
function mayRead(evaluator: PolicyEvaluator, path: string): boolean {
  const capabilities = evaluator.capabilities(path);
  return capabilities.includes("read") || capabilities.includes("root");
}

/**
 * The request's wrap TTL in seconds, or `undefined` for no wrapping (unset or 0, as Vault).
 *
 * @throws InvalidRequestError for a TTL that is not a duration
 */
function wrapTtlOf(value: unknown): number | undefined {
  const seconds = parseOptionalDuration(value, "wrap_ttl");
  return seconds === undefined || seconds === 0 ? undefined : seconds;
}

/** Vault's response envelope around a backend's answer. */
function envelope(answer: BackendResponse | null, requestId: string): Response {
  return {
    request_id: requestId,
    lease_id: answer?.lease?.id ?? "",
    lease_duration: answer?.lease?.duration ?? 0,
    renewable: answer?.lease?.renewable ?? false,
    data: answer?.data ?? null,
    warnings: answer?.warnings && answer.warnings.length > 0 ? answer.warnings : null,
    auth: answer?.auth ?? null,
    wrap_info: answer?.wrapInfo ?? null,
  };
}
