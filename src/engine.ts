/**
 * The engine: the facade over mounts, tokens, policies and leases, and the composition root that
 * wires them. Requests are served by the {@link RequestPipeline}.
 *
 * @module
 */
import { AlreadyInitializedError, NotInitializedError, SealedError } from "./errors.js";
import type { Backend, BackendFactory } from "./backend/backend.js";
import type { ChangeEventSink } from "./backend/change-events.js";
import { Client } from "./client.js";
import type { Request, RequestData, RequestOptions, Response } from "./request.js";
import type { RequestHandler } from "./request-handler.js";
import { RequestPipeline, type MountRoute } from "./request-pipeline.js";
import { JsonStore } from "./storage/json-store.js";
import { MemoryStorage } from "./storage/memory-storage.js";
import type { Storage } from "./storage/storage.js";
import { protectAtRest, type AtRestOptions } from "./storage/protect-at-rest.js";
import { SystemClock, type Clock } from "./util/clock.js";
import { LeaseManager, type RevocationOptions } from "./leases/lease-manager.js";
import { LeaseTokenIndex } from "./leases/lease-token-index.js";
import { TokenStore } from "./auth/token/token-store.js";
import { MountLifecycle } from "./mounts/mount-lifecycle.js";
import { MountMigrations } from "./mounts/mount-migrations.js";
import { builtinMounts, TOKEN_MOUNT } from "./mounts/builtin-mounts.js";
import { createMountBackend } from "./mounts/mount-backends.js";
import { ConfigSync, type ChangeFeedState } from "./config/config-sync.js";
import { RecordCaches } from "./config/record-cache.js";
import { AUDIT_TABLE_KEY } from "./audit/audit-broker.js";
import type { MountEntry } from "./mounts/mount-entry.js";
import { createSystemBackend, type SystemBackendDeps } from "./system/system-backend.js";
import { createDatabaseBackend } from "./secrets/database/database-backend.js";
import { builtinDatabasePlugins } from "./secrets/database/builtin-plugins.js";
import type { DatabasePluginDescriptor } from "./secrets/database/plugin.js";
import { PolicyStore } from "./policy/policy-store.js";
import { TokenManager } from "./auth/token/token-manager.js";
import { createTokenBackend } from "./auth/token/token-backend.js";
import { TokenRoleStore } from "./auth/token/token-role-store.js";
import { AuditBroker } from "./audit/audit-broker.js";
import { AuditHasher } from "./audit/audit-hasher.js";
import type { AuditSink } from "./audit/audit-device.js";
import { describeError, safeLogger, type Logger } from "./observability/logger.js";
import { EngineObserver } from "./observability/engine-observer.js";
import { EngineHeartbeat, HEARTBEAT_PREFIX, type EnginePeer } from "./observability/engine-heartbeat.js";
import type { EngineEventListener, EngineEventName } from "./observability/engine-events.js";
import type { EngineMetrics } from "./observability/metrics.js";
import { LeaseQuotas, type GuardrailOptions } from "./leases/lease-quotas.js";
import { LeaseSlots } from "./leases/lease-slots.js";
import { PasswordPolicyStore } from "./passwords/password-policy-store.js";
import { RequestPressure } from "./util/request-pressure.js";
import { ResponseWrapping } from "./wrapping/response-wrapping.js";

/**
 * Options of {@link Engine.open}. Every field is optional; durable storage needs `encryptionKey`
 * (or the opt-out `allowUnencryptedStorage`, see {@link AtRestOptions}).
 */
export interface EngineOptions extends AtRestOptions {
  /**
   * Where state lives (default: a new {@link MemoryStorage}). Durable storage (`FileStorage`,
   * `PostgresStorage`) is encrypted with `encryptionKey`; without a key or the opt-out,
   * `Engine.open` rejects with `UnencryptedStorageError`.
   */
  storage?: Storage;
  /** The source of time and timers (default: the system clock; tests pass a `ManualClock`). */
  clock?: Clock;
  /**
   * Extra database plugins, registered by descriptor (`{ name, maxUsernameBytes, create }`, e.g.
   * `postgresPlugin({ name: "app-postgres", pool })`) and added to the built-in
   * `postgresql-database-plugin`. One with a built-in's name replaces it.
   */
  plugins?: readonly DatabasePluginDescriptor[];
  /** Revocation tuning: concurrency, retries, backoff. */
  revocation?: RevocationOptions;
  /**
   * Destinations of `stream` audit devices, by name: a device enabled with
   * `{ type: "stream", options: { sink: "<name>" } }` writes to `auditSinks[name]`.
   */
  auditSinks?: Record<string, AuditSink>;
  /** A pino-shaped logger (default: silent). No secret is ever logged. */
  logger?: Logger;
  /** Lease-count guardrails (`max_leases` of roles and mounts): the warning threshold. */
  guardrails?: GuardrailOptions;
}

/** The result of {@link Engine.initialize}. */
export interface InitializeResult {
  /** The root token: it can do everything. Store it safely or revoke it after setup. */
  rootToken: string;
}

const INIT_KEY = "core/init";

/**
 * An in-process secrets engine.
 *
 * @example
 * ```ts
 * const engine = await Engine.open({ storage: new MemoryStorage() });
 * const { rootToken } = await engine.initialize();
 * const root = engine.client(rootToken);
 * await root.write("sys/mounts/database", { type: "database" });
 * // … configure, create roles, read creds …
 * await engine.close();
 * ```
 */
export class Engine implements RequestHandler, AsyncDisposable {
  readonly #storage: Storage;
  readonly #clock: Clock;
  readonly #core: JsonStore;
  readonly #mounts: MountLifecycle;
  readonly #remounts: MountMigrations;
  readonly #config: ConfigSync;
  /** Backends' cached configuration records (`logical/…`: connection configs, roles). */
  readonly #records: RecordCaches;
  readonly #tokens: TokenStore;
  readonly #leases: LeaseManager;
  /** The requests in flight, which a revocation storm gives way to. */
  readonly #pressure = new RequestPressure();
  readonly #policies: PolicyStore;
  readonly #passwordPolicies: PasswordPolicyStore;
  readonly #tokenManager: TokenManager;
  readonly #factories: Map<string, BackendFactory>;
  readonly #logger: Logger;
  readonly #audit: AuditBroker;
  readonly #observer: EngineObserver;
  readonly #quotas: LeaseQuotas;
  readonly #pipeline: RequestPipeline;
  readonly #wrapping: ResponseWrapping;
  /** Where backends report their configuration changes: passed on as engine events. */
  readonly #changeEvents: ChangeEventSink;
  /** Stops listening to the storage's exposure checks (see `Storage.watchExposure`). */
  readonly #unwatchExposure: (() => void) | undefined;
  /** This engine's heartbeat record, on storage shared by several processes (see `Engine.peers`). */
  readonly #heartbeat: EngineHeartbeat | undefined;
  #heartbeatStarted: Promise<void> | undefined;
  #initialized = false;
  #closed = false;

  private constructor(options: EngineOptions) {
    this.#storage = protectAtRest(options.storage ?? new MemoryStorage(), options);
    this.#clock = options.clock ?? new SystemClock();
    this.#core = new JsonStore(this.#storage);
    this.#logger = safeLogger(options.logger);
    this.#observer = new EngineObserver(this.#logger);
    this.#quotas = new LeaseQuotas(this.#observer, options.guardrails, new LeaseSlots(this.#core.sub("sys/lease-quota/")), this.#clock, (error) =>
      this.#logger.warn({ error: describeError(error) }, "freeing a max_leases slot failed; it is freed when the engine next restores"),
    );
    this.#audit = new AuditBroker({
      store: this.#core,
      hasher: new AuditHasher(this.#core),
      sinks: options.auditSinks ?? {},
      clock: this.#clock,
      onDeviceFailure: (device, error) => this.#logger.error({ device, error: describeError(error) }, "audit device failed to record an entry"),
    });
    this.#mounts = new MountLifecycle({
      core: this.#core,
      createBackend: (entry) => this.#createBackend(entry),
      revokePrefix: (prefix) => this.#leases.revokePrefix(prefix),
      onEvent: (name, payload) => this.#observer.emit(name, payload),
      logger: this.#logger,
    });
    this.#tokens = new TokenStore(this.#core.sub("sys/token/"), this.#clock);
    this.#leases = new LeaseManager(
      this.#core.sub("sys/expire/id/"),
      this.#clock,
      (path, mountUuid) => this.#mounts.backendFor(path, mountUuid),
      options.revocation,
      (event) => {
        this.#observer.leaseChanged(event);
        return this.#quotas.leaseChanged(event); // frees max_leases slots (awaited for removals)
      },
      new LeaseTokenIndex(this.#core.sub("sys/expire/token/")),
      this.#pressure,
    );
    this.#remounts = new MountMigrations({
      core: this.#core,
      assertRemountable: (from, to) => this.#mounts.assertRemountable(from, to),
      moveMount: (uuid, from, to) => this.#mounts.remount(uuid, from, to),
      moveLeases: (from, to) => this.#leases.moveMountLeases(from, to),
      clock: this.#clock,
      logger: this.#logger,
      onRemounted: (record) =>
        this.#observer.emit("mount.remounted", { from: record.source_mount, to: record.target_mount, migrationId: record.migration_id, leasesMoved: record.leases_moved ?? 0 }),
    });
    this.#policies = new PolicyStore(this.#core.sub("sys/policy/"));
    this.#passwordPolicies = new PasswordPolicyStore(this.#core.sub("sys/password_policy/"));
    this.#tokenManager = new TokenManager({
      tokens: this.#tokens,
      leases: this.#leases,
      policies: this.#policies,
      clock: this.#clock,
      mount: () => this.#mounts.table.get(TOKEN_MOUNT)!,
      onEvent: (event) => {
        this.#observer.tokenChanged(event);
        // A wrapping token revoked or expired takes its wrapped response with it (best effort:
        // a record left behind is unreadable, its token gone, and past its expiry anyway).
        if (event.type === "revoked" && this.#wrapping.isWrappingToken(event.entry.policies)) {
          this.#wrapping.discard(event.entry.accessor).catch(() => undefined);
        }
      },
    });
    this.#wrapping = new ResponseWrapping({
      store: this.#core.sub("sys/wrapping/"),
      tokens: this.#tokens,
      tokenUse: this.#tokenManager,
      leases: this.#leases,
      tokenMount: () => this.#mounts.table.get(TOKEN_MOUNT)!,
      clock: this.#clock,
      onTokenCreated: (entry) => this.#observer.tokenChanged({ type: "created", entry }),
    });
    this.#records = new RecordCaches("logical/", () => this.#config.vouched());
    this.#config = new ConfigSync(this.#storage, [
      this.#mounts,
      this.#records,
      { prefix: "sys/policy/", invalidate: () => this.#policies.invalidate() },
      { prefix: "sys/password_policy/", invalidate: () => this.#passwordPolicies.invalidate() },
      { prefix: AUDIT_TABLE_KEY, invalidate: () => this.#audit.reload() },
      { prefix: INIT_KEY, invalidate: async () => void (this.#initialized ||= (await this.#core.get(INIT_KEY)) !== undefined) },
    ]);
    const plugins = new Map([...builtinDatabasePlugins(), ...(options.plugins ?? [])].map((plugin) => [plugin.name, plugin]));
    this.#factories = new Map<string, BackendFactory>([["database", createDatabaseBackend(plugins)]]);
    this.#changeEvents = (name, payload) => this.#observer.emit(name, payload);
    this.#heartbeat = this.#storage.claimDue
      ? new EngineHeartbeat({ store: this.#core.sub(HEARTBEAT_PREFIX), clock: this.#clock, changeFeed: () => this.#config.feedState() })
      : undefined;
    // Logged as an error, with the roles and the storage's account of the fix, by the observer.
    this.#unwatchExposure = this.#storage.watchExposure?.(({ roles, message }) => this.#observer.emit("storage.exposed", { roles: [...roles], message }));
    this.#pipeline = new RequestPipeline({
      assertServing: () => this.#assertServing(),
      audit: this.#audit,
      tokens: this.#tokens,
      policies: this.#policies,
      tokenUse: this.#tokenManager,
      route: (path) => this.#mounts.route(path),
      issue: (origin, spec, create) => this.#quotas.guard(origin.mount, spec, (reserve) => this.#leases.issue({ ...origin, reserve }, spec, create)),
      wrap: (response, request) => this.#wrapping.wrap(response, request),
      pressure: this.#pressure,
    });
  }

  /**
   * Opens an engine over `options.storage`. On storage that was initialized before, mounts, tokens
   * and leases come back and expired leases are revoked.
   *
   * @throws UnencryptedStorageError for durable storage without `encryptionKey` or the explicit
   *   opt-out `allowUnencryptedStorage: true` (nothing is read or written then)
   */
  static async open(options: EngineOptions = {}): Promise<Engine> {
    const engine = new Engine(options);
    try {
      await engine.#load();
    } catch (err) {
      // Release what loading had opened (plugin pools, storage handles) before reporting the error.
      await engine.close().catch(() => undefined);
      throw err;
    }
    return engine;
  }

  /** Whether this storage has been initialized (has a root token). */
  get initialized(): boolean {
    return this.#initialized;
  }

  /**
   * The engine's clock (the one passed to {@link Engine.open}, else the system clock). Clients
   * hand it on (`client.clock`), so what runs beside the engine — the credential pool's renewals
   * and rotations — keeps the engine's time.
   */
  get clock(): Clock {
    return this.#clock;
  }

  /**
   * This engine's change feed now: `"current"` when it confirms that configuration changed
   * through other engines has arrived within the propagation bound, `"behind"` when it cannot
   * (requests then re-read configuration from storage first), `"none"` on a storage without a feed
   * (one process). For health checks; see `docs/storage.md`.
   */
  get changeFeed(): ChangeFeedState {
    return this.#config.feedState();
  }

  /**
   * The engines open on this storage, as the heartbeat record each one rewrites every 5 s says
   * (this one included, `self: true`): machine, pid, when it opened, its clock's reading at its
   * last heartbeat and its change feed. Only on storage shared by several processes (one with
   * `claimDue`, such as `PostgresStorage`); elsewhere there is nobody else, and the list is empty.
   * An engine that closes removes its record; one that died leaves it, no longer updated.
   * `vaultlet doctor` measures clock skew between engines with it.
   */
  async peers(): Promise<EnginePeer[]> {
    this.#assertOpen();
    return this.#heartbeat ? this.#heartbeat.peers() : [];
  }

  /** The mount types this engine can mount. */
  get mountTypes(): string[] {
    return [...this.#factories.keys()];
  }

  /**
   * Initializes fresh storage and returns the root token. Call once per storage.
   *
   * @throws AlreadyInitializedError when the storage is already initialized
   */
  async initialize(): Promise<InitializeResult> {
    this.#assertOpen();
    if (this.#initialized) throw new AlreadyInitializedError();
    const { token, entry } = await this.#tokens.create({
      policies: ["root"],
      displayName: "root",
      ttl: 0,
      renewable: false,
      numUses: 0,
      meta: {},
      path: "auth/token/root",
    });
    await this.#core.put(INIT_KEY, { time: new Date(this.#clock.now()).toISOString() });
    this.#initialized = true;
    this.#observer.tokenChanged({ type: "created", entry });
    return { rootToken: token };
  }

  /**
   * Listens to an engine event. Listeners run synchronously as things happen; one that throws (or
   * rejects) is logged and never affects the engine. Payloads never carry a secret.
   *
   * @example
   * ```ts
   * engine.on("lease.revoked", ({ leaseId }) => console.log("revoked", leaseId));
   * ```
   */
  on<K extends EngineEventName>(name: K, listener: EngineEventListener<K>): this {
    this.#observer.events.on(name, listener);
    return this;
  }

  /** Removes a listener added with {@link Engine.on}. */
  off<K extends EngineEventName>(name: K, listener: EngineEventListener<K>): this {
    this.#observer.events.off(name, listener);
    return this;
  }

  /** Current lease gauges and the counters since the engine was opened (see {@link EngineMetrics}). */
  metrics(): EngineMetrics {
    return this.#observer.metrics(this.#leases.queueDepth, this.#leases.waitingForDatabase);
  }

  /** A client that makes requests with `token`. */
  client(token: string): Client {
    return new Client(this, token);
  }

  /**
   * Serves one request: resolves the token, checks its policies, routes the path to its mount and
   * wraps the answer in Vault's response envelope.
   *
   * @throws PermissionDeniedError, NotFoundError, InvalidRequestError, … (see `errors.ts`)
   */
  async request(request: Request): Promise<Response> {
    await this.#catchUp();
    return this.#pipeline.request(request);
  }

  /**
   * A write as `Client.write` makes it: `create` when nothing exists at the path, else `update`.
   * `options.wrapTtl` wraps the response (see {@link RequestOptions}).
   */
  async write(token: string, path: string, data: RequestData, options?: RequestOptions): Promise<Response> {
    await this.#catchUp();
    return this.#pipeline.write(token, path, data, options);
  }

  /**
   * Before serving: configuration caches must be within the propagation bound of storage (see
   * `config/config-sync.ts`); when the change feed cannot vouch for them, they are re-read first.
   */
  async #catchUp(): Promise<void> {
    this.#assertOpen();
    const catchingUp = this.#config.fresh();
    if (catchingUp) await catchingUp;
  }

  /**
   * Stops serving, stops every timer, waits for revocations in flight, and closes backends and
   * storage. Leases stay in storage; an engine opened later on the same storage takes them over.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Leases first: their close arms its deadline on the clock at once (tests advance it right away).
    await this.#leases.close();
    // Then the heartbeat record goes, while storage is still open.
    await this.#heartbeatStarted;
    await this.#heartbeat?.close();
    await this.#config.close();
    await this.#audit.close();
    await this.#mounts.close();
    this.#unwatchExposure?.();
    await this.#storage.close?.();
  }

  /**
   * Resolves once every lease found in storage at open is loaded and scheduled. `Engine.open` does
   * not wait for this (requests are served at once, from storage); tests and shutdown scripts may.
   */
  async leasesRestored(): Promise<void> {
    await this.#leases.restored();
  }

  /** Same as {@link Engine.close}, for `await using engine = await Engine.open()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #load(): Promise<void> {
    await this.#config.start(); // before anything is read: no change can fall in between
    this.#initialized = (await this.#core.get(INIT_KEY)) !== undefined;
    await this.#tokens.load();
    await this.#audit.load();
    await this.#mounts.load(builtinMounts());
    this.#leases.startRestore(); // in the background: open never waits for leases
    void this.#reconcileQuotas();
    void this.#resumeRemounts();
    this.#heartbeatStarted = this.#heartbeat?.start();
  }

  /** Finishes remounts a crash interrupted (`sys/remount/status` says `in-progress` until then). */
  async #resumeRemounts(): Promise<void> {
    try {
      await this.#remounts.resume();
    } catch (error) {
      if (!this.#closed) this.#logger.warn({ error: describeError(error) }, "finishing an interrupted remount failed; retried at the next open");
    }
  }

  /** Once leases are restored, frees `max_leases` slots a crash left without a lease. */
  async #reconcileQuotas(): Promise<void> {
    try {
      await this.#leases.restored();
      if (this.#closed) return;
      await this.#quotas.reconcile(async (id) => (await this.#leases.get(id)) !== undefined);
    } catch (error) {
      if (!this.#closed) this.#logger.warn({ error: describeError(error) }, "reconciling max_leases slots failed; retried at the next open");
    }
  }

  #createBackend(entry: MountEntry): Promise<Backend> {
    return createMountBackend(entry, {
      factories: this.#factories,
      system: () => createSystemBackend(this.#systemDeps()),
      token: () =>
        createTokenBackend({
          tokens: this.#tokens,
          manager: this.#tokenManager,
          policies: this.#policies,
          roles: new TokenRoleStore(this.#core.sub("sys/token/roles/")),
        }),
      core: this.#core,
      clock: this.#clock,
      passwordPolicy: this.#passwordPolicies.lookup,
      events: this.#changeEvents,
      reachable: (mountUuid, target) => this.#leases.reachable(mountUuid, target),
      current: (path) => this.#mounts.table.get(path),
      cachedView: (prefix) => this.#records.view(this.#storage, prefix),
      protectedRecords: this.#storage.recordsLocation && ((options) => this.#storage.recordsLocation!(options)),
    });
  }

  /** What the `sys/` routes work with (each route group takes its own slice of it). */
  #systemDeps(): SystemBackendDeps {
    return {
      mounts: this.#mounts.table,
      leases: this.#leases,
      policies: this.#policies,
      tokens: this.#tokens,
      audit: this.#audit,
      passwordPolicies: this.#passwordPolicies,
      wrapping: this.#wrapping,
      events: this.#changeEvents,
      mountTypes: () => this.mountTypes,
      enableMount: (entry) => this.#mounts.enable(entry),
      disableMount: (path) => this.#mounts.disable(path),
      remounts: this.#remounts,
      mountAccessor: (mountUuid) => this.#mounts.table.byUuid(mountUuid)?.accessor,
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new SealedError();
  }

  #assertServing(): void {
    this.#assertOpen();
    if (!this.#initialized) throw new NotInitializedError();
  }
}
