/**
 * The request pipeline: validate → authenticate → (for `Client.write`: create or update) →
 * authorize → route → sudo → audit → use the token → dispatch → envelope, over one
 * {@link RequestContext}.
 *
 * @module
 */
import { NotFoundError, PermissionDeniedError } from "./errors.js";
import type { Backend, BackendRequest, BackendResponse, PendingLease, SecretSpec } from "./backend/backend.js";
import { rootPathsOf } from "./backend/root-paths.js";
import type { AuditBroker } from "./audit/audit-broker.js";
import type { RequestAudit } from "./audit/request-audit.js";
import type { TokenEntry } from "./auth/token/token-entry.js";
import type { TokenManager } from "./auth/token/token-manager.js";
import type { TokenStore } from "./auth/token/token-store.js";
import type { MountEntry } from "./mounts/mount-entry.js";
import type { PolicyStore } from "./policy/policy-store.js";
import type { Operation, Request, RequestData, Response } from "./request.js";
import { newRequestContext, type RequestContext } from "./request-context.js";
import type { RequestHandler } from "./request-handler.js";
import { validateRequest } from "./request-validation.js";

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
}

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
  async write(token: string, path: string, data: RequestData): Promise<Response> {
    this.#deps.assertServing();
    // Recorded as an `update` (as Vault does) if it fails before the pipeline resolves which it is.
    return this.#run(newRequestContext({ token, operation: "update", path, data }), true);
  }

  /** Runs the steps inside the request's audit trail: a failure at any step is recorded. */
  async #run(context: RequestContext, resolveWrite: boolean): Promise<Response> {
    const audit = this.#deps.audit.begin(context);
    try {
      const response = await this.#serve(context, audit, resolveWrite);
      await audit.recordResponse(response);
      return response;
    } catch (err) {
      await audit.recordFailure(err);
      throw err;
    }
  }

  async #serve(context: RequestContext, audit: RequestAudit, resolveWrite: boolean): Promise<Response> {
    const valid = validateRequest(context.operation, context.path, context.data);
    context.path = valid.path;
    context.data = valid.data;
    const token = (context.token = await this.#authenticate(context.presented.token));
    const operation = resolveWrite ? await this.#createOrUpdate(valid.path) : valid.operation;
    context.operation = operation;
    // A denial names the operation as the caller asked it: `write` for a `Client.write`, never
    // `create` or `update`, which would tell whether something exists at the path.
    const asked = resolveWrite ? "write" : operation;
    const sudo = await this.#authorize(token, operation, valid.path, valid.data, asked);
    const route = this.#deps.route(valid.path);
    context.mount = route.mount;
    this.#requireSudo(route, operation, valid.path, sudo, asked);
    // Fail closed: nothing is changed unless an audit device recorded the request.
    await audit.recordRequest();
    // Token use (num_uses): counted here, after every check passed and before the backend acts.
    const lastUse = await this.#deps.tokenUse.use(token);
    try {
      return await this.#dispatch(route, operation, valid.path, valid.data, token, context.id);
    } finally {
      if (lastUse) await this.#deps.tokenUse.revoke(token);
    }
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
  async #authorize(token: TokenEntry, operation: Operation, path: string, data: RequestData, asked: string): Promise<boolean> {
    const evaluator = await this.#deps.policies.evaluatorFor(token.policies);
    const decision = evaluator.evaluate({ path, operation, data });
    if (!decision.allowed) throw new PermissionDeniedError(`permission denied: ${asked} on ${JSON.stringify(path)}`);
    return decision.sudo;
  }

  /** Refuses a request on one of the routed backend's root paths unless the policies grant `sudo`. */
  #requireSudo(route: MountRoute, operation: Operation, path: string, sudo: boolean, asked: string): void {
    if (sudo) return;
    if (rootPathsOf(route.backend)?.requiresSudo(route.relativePath, operation)) {
      throw new PermissionDeniedError(`permission denied: ${asked} on ${JSON.stringify(path)} needs sudo`);
    }
  }

  async #dispatch(route: MountRoute, operation: Operation, path: string, data: RequestData, token: TokenEntry, requestId: string): Promise<Response> {
    const { mount, backend, relativePath } = route;
    const request: BackendRequest = {
      operation,
      path: relativePath,
      data,
      caller: { displayName: token.displayName, accessor: token.accessor, policies: token.policies },
      secrets: {
        issue: (spec, create) => {
          // Re-checked in storage after the secret exists: a revocation racing this request wins.
          const confirm = () => this.#deps.tokenUse.confirmLive(token);
          const confirmKey = this.#deps.tokenUse.liveKey(token);
          return this.#deps.issue({ mount, path: relativePath, tokenAccessor: token.accessor, confirm, confirmKey }, spec, create);
        },
      },
    };
    const answer = await backend.handle(request);
    if (answer === null && (operation === "read" || operation === "list")) {
      throw new NotFoundError(`nothing at ${JSON.stringify(path)}`);
    }
    return envelope(answer, requestId);
  }
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
    wrap_info: null,
  };
}
