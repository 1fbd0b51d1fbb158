/**
 * The PostgreSQL database plugin (`postgresql-database-plugin`).
 *
 * @module
 */
import { randomInt } from "node:crypto";
import { setTimeout as pause } from "node:timers/promises";
import { PluginError } from "../../../../errors.js";
import { renderTemplate, templatesUse } from "../../template.js";
import type {
  ChangePasswordRequest,
  ConnectionSettings,
  DatabasePlugin,
  DatabasePluginDescriptor,
  DeleteUserRequest,
  FindReachRequest,
  NewUserRequest,
  RenewUserRequest,
  PasswordAuthentication,
  RevocationSettings,
} from "../../plugin.js";
import { scramIterationsFor, scramSha256Verifier } from "./scram.js";
import { secretFreeSteps } from "./secret-statements.js";
import { runSteps } from "./pipelined-steps.js";
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from "../../../../util/postgres-pool.js";
import {
  REVOCATION_FACTS_SQL,
  ROLE_FACTS_SQL,
  creationGuards,
  guardFailure,
  ownershipRefused,
  refusalReason,
  roleFacts,
  type RoleFacts,
} from "./role-ownership.js";
import { clientFor, createPool } from "./pool-factory.js";
import { DEFAULT_REVOCATION_SETTINGS } from "../../revocation-settings.js";
import { pluginError } from "./sanitize.js";
import { formatExpiration, quoteIdentifier, quoteLiteral } from "./sql-format.js";
import { BATCH_FACTS_SQL, batchable, batchDropQuery, batchPrepareQuery, failedPositions, type BatchUser } from "./batch-revocation.js";
import { Semaphore } from "../../../../util/semaphore.js";
import { ReachGuards, findReach, reachFailure, reachRefused } from "./storage-reach-guard.js";

/** PostgreSQL's identifier limit (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/** The built-in plugin's `plugin_name`. */
const POSTGRES_PLUGIN_NAME = "postgresql-database-plugin";

/** How often a transaction that lost a race with another is tried in all. */
const MAX_TRANSACTION_ATTEMPTS = 10;

const DEFAULT_PASSWORD_STATEMENTS = [`ALTER ROLE {{ident}} WITH PASSWORD '{{password}}'`];

const DEFAULT_RENEW_STATEMENTS = [`ALTER ROLE {{ident}} VALID UNTIL '{{expiration}}'`];

/** Options of {@link createPostgresPlugin}. */
export interface PostgresPluginOptions {
  /**
   * The host's own pool (a `pg.Pool` or anything with its `query`/`connect` shape). The plugin then
   * ignores the config's connection fields, and never ends the pool: it belongs to the host.
   */
  pool?: PostgresPool;
}

/** Options of {@link postgresPlugin}: the instance options, and the name to register under. */
export interface PostgresPluginDescriptorOptions extends PostgresPluginOptions {
  /** The `plugin_name` configs select it by (default `"postgresql-database-plugin"`). */
  name?: string;
}

/**
 * The descriptor that registers the PostgreSQL plugin with an engine. The built-in
 * `postgresql-database-plugin` is `postgresPlugin()`; register another to run on the host's pool.
 *
 * @example Run on the host's own pool, under a plugin name of its own:
 * ```ts
 * const engine = await Engine.open({ plugins: [postgresPlugin({ name: "app-postgres", pool })] });
 * await root.write("database/config/app", { plugin_name: "app-postgres", allowed_roles: "*" });
 * ```
 */
export function postgresPlugin(options: PostgresPluginDescriptorOptions = {}): DatabasePluginDescriptor {
  const { name = POSTGRES_PLUGIN_NAME, ...instanceOptions } = options;
  return { name, maxUsernameBytes: MAX_IDENTIFIER_BYTES, create: () => createPostgresPlugin(instanceOptions) };
}

/**
 * Creates an uninitialized PostgreSQL plugin instance (what {@link postgresPlugin}'s `create`
 * does), for using the plugin directly, e.g. in `databasePluginContract`.
 */
export function createPostgresPlugin(options: PostgresPluginOptions = {}): DatabasePlugin {
  return new PostgresPlugin(options.pool);
}

/**
 * Runs credential statements against PostgreSQL through a connection pool sized by
 * `max_open_connections`. No global lock: operations run in parallel up to the pool size.
 */
class PostgresPlugin implements DatabasePlugin {
  readonly name = POSTGRES_PLUGIN_NAME;
  #pool: PostgresPool | undefined;
  readonly #hostPool: PostgresPool | undefined;
  #secrets: (string | undefined)[] = [];
  #superuser: Promise<boolean> | undefined;
  #passwordAuthentication: PasswordAuthentication = "scram-sha-256";
  /** How to reach other databases of the cluster (absent with a host pool). Holds secrets. */
  #settings: ConnectionSettings | undefined;
  /** Operations in flight, and what `close` waits on. */
  #active = 0;
  #onIdle: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  /** Batched revocations at once: half the pool, so new credentials still find connections. */
  #batchSlots = new Semaphore(1);
  /** Keeps new users from reaching the engine's storage on this server (see `storage-reach-guard.ts`). */
  readonly #reachGuards = new ReachGuards();

  /** @param hostPool - the host's own pool, used instead of one built from the settings */
  constructor(hostPool?: PostgresPool) {
    this.#hostPool = hostPool;
  }

  async initialize(settings: ConnectionSettings, { verifyConnection }: { verifyConnection: boolean }): Promise<void> {
    this.#secrets = [settings.password, settings.tls?.key];
    this.#passwordAuthentication = settings.passwordAuthentication ?? "scram-sha-256";
    this.#pool = this.#hostPool ?? (await createPool(settings));
    this.#batchSlots = new Semaphore(Math.floor(settings.maxOpenConnections / 2));
    if (!this.#hostPool) this.#settings = settings;
    if (verifyConnection) await this.#verify();
  }

  newUser(request: NewUserRequest): Promise<void> {
    return this.#tracked(() => this.#newUser(request));
  }

  async #newUser(request: NewUserRequest): Promise<void> {
    const values = statementValues(request.username, await this.#passwordValue(request.password, [...request.statements, ...request.rollbackStatements], request.passwordEntropyBits), request.expiration);
    const secrets = [...this.#secrets, request.password, values.password];
    const { marker, username } = request;
    const reach = request.protectedRecords
      ? await this.#reachGuards.statements(this.#requirePool(), username, request.protectedRecords).catch((err: unknown) => {
          throw pluginError("creating the database user failed", err, secrets);
        })
      : [];
    // One round trip: the guard refusing an existing role, the statements, the guards that check
    // and tag the new role, in one transaction (see `creationGuards`). A role the statements make
    // a superuser takes a second, with the superuser's tag: the first transaction was rolled back.
    const create = (superuser: boolean) =>
      this.#transaction(request.statements, values, withReachGuard(reach, marker === undefined ? undefined : creationGuards(username, marker, { superuser })));
    try {
      await create(false).catch((err: unknown) => {
        if (guardFailure(err) !== "superuser") throw err;
        return create(true);
      });
    } catch (err) {
      const reach = reachFailure(err);
      if (reach !== undefined) {
        await this.#rollback(request.rollbackStatements, values);
        throw reachRefused(username, reach);
      }
      const failure = guardFailure(err);
      // An existing role is never taken over, nor touched by the rollback statements.
      if (failure === "existed") {
        throw new PluginError(`the database user ${JSON.stringify(username)} already exists; the engine only creates new users`, { refused: true });
      }
      await this.#rollback(request.rollbackStatements, values);
      if (failure === "not-created") {
        throw new PluginError(`the creation statements did not create the database user ${JSON.stringify(username)} ({{name}})`, { refused: true });
      }
      if (failure === "not-superuser") {
        throw new PluginError(`the creation statements made the database user ${JSON.stringify(username)} a superuser on one run and not on the next`, { refused: true });
      }
      throw pluginError("creating the database user failed", err, secrets);
    }
  }

  renewUser(request: RenewUserRequest): Promise<void> {
    return this.#tracked(() => this.#renewUser(request));
  }

  async #renewUser(request: RenewUserRequest): Promise<void> {
    const statements = request.statements.length > 0 ? request.statements : DEFAULT_RENEW_STATEMENTS;
    try {
      // A tampered lease must not set VALID UNTIL on a role it does not own (the admin, say).
      await this.#confirmOwnership(request.username, request.marker);
      await this.#transaction(statements, statementValues(request.username, "", request.expiration));
    } catch (err) {
      throw pluginError("renewing the database user failed", err, this.#secrets);
    }
  }

  deleteUser(request: DeleteUserRequest): Promise<void> {
    return this.#tracked(() => this.#deleteUser(request));
  }

  async #deleteUser(request: DeleteUserRequest): Promise<void> {
    const settings = request.settings ?? DEFAULT_REVOCATION_SETTINGS;
    try {
      // One round trip for what revocation must know first: does the role exist, may this lease
      // drop it, and where else does it own objects or hold privileges.
      const facts = await this.#revocationFacts(request.username);
      if (facts === undefined) return; // already gone
      const reason = refusalReason(request.username, facts, request.marker);
      if (reason !== undefined) throw ownershipRefused(reason);
      if (request.statements.length > 0) {
        // Sessions end in the same round trip, just before the statements' transaction.
        const before = settings.terminateSessions ? [terminateSessionsStatement(request.username)] : [];
        await this.#transaction(request.statements, statementValues(request.username, "", undefined), { prelude: before });
      } else {
        await this.#defaultRevocation(request.username, settings, facts.databases);
      }
    } catch (err) {
      throw pluginError("revoking the database user failed", err, this.#secrets);
    }
  }

  /**
   * Revokes many users, each as {@link deleteUser} would, with failures isolated per user: the
   * roles' facts in one query, then every user the default revocation handles in one `DO` block
   * (see `batch-revocation.ts`); custom revocation statements, users with objects in other
   * databases, and users the block failed on go one by one. At most half the pool's connections
   * run batches at once.
   *
   * @throws PluginError when the database cannot be asked at all (every outcome is then unknown)
   */
  revokeUsers(requests: readonly DeleteUserRequest[]): Promise<Array<PluginError | undefined>> {
    return this.#tracked(() => this.#batchSlots.run(() => this.#revokeUsers(requests)));
  }

  async #revokeUsers(requests: readonly DeleteUserRequest[]): Promise<Array<PluginError | undefined>> {
    const outcomes: Array<PluginError | undefined> = requests.map(() => undefined);
    const facts = await this.#batchFacts(requests.map((request) => request.username));
    const batch: number[] = [];
    const oneByOne: number[] = [];
    requests.forEach((request, i) => {
      const row = facts.get(request.username);
      if (!row) return; // already gone
      const reason = refusalReason(request.username, roleFacts(row), request.marker);
      if (reason !== undefined) outcomes[i] = ownershipRefused(reason);
      else if (request.statements.length === 0 && !row.elsewhere && batchable(batchUser(request, row))) batch.push(i);
      else oneByOne.push(i);
    });
    if (batch.length > 0) oneByOne.push(...(await this.#dropBatch(batch.map((i) => batchUser(requests[i]!, facts.get(requests[i]!.username)!)))).map((k) => batch[k]!));
    for (const i of oneByOne) outcomes[i] = await this.#deleteUser(requests[i]!).then(() => undefined, (err: PluginError) => err);
    return outcomes;
  }

  /** The facts of each existing role among `usernames` ({@link BATCH_FACTS_SQL}), by name. */
  async #batchFacts(usernames: string[]): Promise<Map<string, BatchFactsRow>> {
    try {
      const { rows } = await this.#query(BATCH_FACTS_SQL, [usernames]);
      return new Map(rows.map((row) => [row.name as string, row as BatchFactsRow]));
    } catch (err) {
      throw pluginError("revoking the database users failed", err, this.#secrets);
    }
  }

  /** Runs the batch's two steps; resolves to the positions (in `users`) of the users they failed on. */
  async #dropBatch(users: BatchUser[]): Promise<number[]> {
    try {
      const failed = new Set(await this.#batchStep(batchPrepareQuery(users, await this.#isSuperuser())));
      const prepared = users.map((_, k) => k).filter((k) => !failed.has(k));
      if (prepared.length > 0) for (const k of await this.#batchStep(batchDropQuery(prepared.map((k) => users[k]!)))) failed.add(prepared[k]!);
      return [...failed];
    } catch (err) {
      throw pluginError("revoking the database users failed", err, this.#secrets);
    }
  }

  /** Runs one batch query (simple protocol: one round trip, one transaction); its failed positions. */
  async #batchStep(text: string): Promise<number[]> {
    const results = (await this.#requirePool().query(text)) as unknown as PostgresQueryResult | PostgresQueryResult[];
    const last = Array.isArray(results) ? results[results.length - 1]! : results;
    return failedPositions(last.rows[0]?.failed);
  }

  /** See `storage-reach-guard.ts`. */
  findReach(request: FindReachRequest): Promise<string | undefined> {
    return this.#tracked(() =>
      findReach(this.#requirePool(), request).catch((err: unknown) => {
        throw pluginError("checking whether the statements reach the engine's storage failed", err, this.#secrets);
      }),
    );
  }

  changePassword(request: ChangePasswordRequest): Promise<void> {
    return this.#tracked(() => this.#changePassword(request));
  }

  async #changePassword(request: ChangePasswordRequest): Promise<void> {
    const secrets = [...this.#secrets, request.password];
    try {
      if (!(await this.#roleExists(request.username))) {
        throw new PluginError(`the database user ${JSON.stringify(request.username)} does not exist`, { refused: true });
      }
      const statements = request.statements.length > 0 ? request.statements : DEFAULT_PASSWORD_STATEMENTS;
      const values = statementValues(request.username, await this.#passwordValue(request.password, statements, request.passwordEntropyBits), undefined);
      secrets.push(values.password);
      await this.#transaction(statements, values);
    } catch (err) {
      throw pluginError("changing the database user's password failed", err, secrets);
    }
  }

  /**
   * Takes no new operations, lets those in flight finish (a config write, `reset` or `rotate-root`
   * replaces the pool while requests may still be using it), then ends the pool unless the host
   * owns it.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeWhenIdle();
    return this.#closing;
  }

  async #closeWhenIdle(): Promise<void> {
    if (this.#active > 0) await new Promise<void>((resolve) => (this.#onIdle = resolve));
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== this.#hostPool) await pool?.end();
  }

  /** Runs an operation, counted so that {@link close} waits for it. */
  async #tracked<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closing || !this.#pool) throw new PluginError("the PostgreSQL plugin is not initialized or already closed");
    this.#active++;
    try {
      return await operation();
    } finally {
      if (--this.#active === 0) this.#onIdle?.();
    }
  }

  /**
   * Default revocation, in three steps so it works for a user that owns objects, holds grants in
   * any schema, has default privileges or belongs to group roles:
   *
   * 1. take the right to act for the user (a non-superuser admin must hold the user's privileges
   *    to reassign or drop what it owns) and forbid new logins;
   * 2. end its open sessions (unless switched off);
   * 3. reassign (or drop) what it owns, drop its privileges and default privileges, drop the role.
   *
   * `REASSIGN OWNED`/`DROP OWNED` act on one database (and on shared objects such as databases), so
   * step 3 also runs in every other database where the user owns objects or holds privileges,
   * through a short-lived connection as the same admin. Memberships in group roles go with
   * `DROP ROLE`.
   */
  async #defaultRevocation(username: string, settings: RevocationSettings, otherDatabases: readonly string[]): Promise<void> {
    const ident = quoteIdentifier(username);
    const superuser = await this.#isSuperuser();
    const prepare = [`ALTER ROLE ${ident} NOLOGIN`];
    if (!superuser) prepare.unshift(`GRANT ${ident} TO CURRENT_USER`);
    const terminate = settings.terminateSessions ? [terminateSessionsStatement(username)] : [];
    const heir = settings.reassignTo ? quoteIdentifier(settings.reassignTo) : "CURRENT_USER";
    const releaseOwned = settings.ownedObjects === "drop" ? [] : [`REASSIGN OWNED BY ${ident} TO ${heir}`];
    releaseOwned.push(`DROP OWNED BY ${ident}`);
    const drop = [...releaseOwned, `DROP ROLE IF EXISTS ${ident}`];
    if (superuser && otherDatabases.length === 0) {
      // Nothing to do elsewhere and every step safe to repeat: the three steps in one round trip
      // (NOLOGIN committed, then the sessions cut, then the drop in its own transaction), retried whole.
      await this.#transaction(prepare, null, { epilogue: [...terminate, "BEGIN", ...drop, "COMMIT"] });
      return;
    }
    // Steps 1 and 2 in one round trip: the sessions end once NOLOGIN is committed.
    await this.#transaction(prepare, null, { epilogue: terminate });
    for (const database of otherDatabases) await this.#inOtherDatabase(database, releaseOwned);
    await this.#transaction(drop, null);
  }

  /**
   * What revocation checks before it changes anything ({@link RoleFacts}) and the databases other
   * than ours where `username` owns objects or holds privileges, or `undefined` when the role does
   * not exist.
   */
  async #revocationFacts(username: string): Promise<(RoleFacts & { databases: string[] }) | undefined> {
    const { rows } = await this.#query(REVOCATION_FACTS_SQL, [username]);
    if (rows.length === 0) return undefined;
    return { ...roleFacts(rows[0]), databases: rows[0]!.databases as string[] };
  }

  /** Runs `statements` in one transaction in another database of the cluster, as the same admin. */
  async #inOtherDatabase(database: string, statements: string[]): Promise<void> {
    if (!this.#settings) {
      throw new PluginError(`the user also owns objects or holds privileges in database ${JSON.stringify(database)}, which a host-provided pool cannot reach; revoke there first`);
    }
    const client = await clientFor(this.#settings, database);
    client.on("error", () => undefined);
    await client.connect();
    try {
      await client.query("BEGIN");
      for (const statement of statements) await client.query(statement);
      await client.query("COMMIT");
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Resolves when this lease may drop `username` (see `role-ownership.ts`).
   *
   * @throws PluginError (refused) naming why not
   */
  async #confirmOwnership(username: string, marker: string | undefined): Promise<void> {
    const { rows } = await this.#query(ROLE_FACTS_SQL, [username]);
    if (rows.length === 0) return; // gone meanwhile: the drop is a no-op
    const reason = refusalReason(username, roleFacts(rows[0]), marker);
    if (reason !== undefined) throw ownershipRefused(reason);
  }


  /** Whether the connection's user is a superuser; asked once per pool. */
  #isSuperuser(): Promise<boolean> {
    this.#superuser ??= this.#query("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", []).then(
      (result) => result.rows[0]?.rolsuper === true,
    );
    this.#superuser.catch(() => (this.#superuser = undefined));
    return this.#superuser;
  }

  /**
   * What `{{password}}` becomes in `statements`: its SCRAM verifier (the default), or the password
   * itself. The verifier is computed only when a statement holds it, with fewer iterations for a
   * password too strong to guess (`scramIterationsFor`).
   */
  async #passwordValue(password: string, statements: readonly string[], entropyBits: number | undefined): Promise<string> {
    if (this.#passwordAuthentication !== "scram-sha-256") return password;
    return templatesUse(statements, "password") ? scramSha256Verifier(password, undefined, scramIterationsFor(entropyBits)) : "";
  }

  async #roleExists(username: string): Promise<boolean> {
    const result = await this.#query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [username]);
    return (result.rowCount ?? 0) > 0;
  }

  async #verify(): Promise<void> {
    try {
      await this.#query("SELECT 1", []);
    } catch (err) {
      await this.close();
      throw pluginError("could not connect to the database", err, this.#secrets);
    }
  }

  async #query(sql: string, params: unknown[]): Promise<PostgresQueryResult> {
    return this.#requirePool().query(sql, params);
  }

  /**
   * Renders and runs statements in one transaction; any failure rolls all of them back. A
   * transaction that lost a race with another (catalog rows updated concurrently, as parallel
   * GRANTs or DROP OWNEDs on the same table do) is retried a few times, after a short random pause.
   */
  async #transaction(statements: readonly string[], values: Record<string, string> | null, extra?: TransactionExtras): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transactionOnce(statements, values, extra);
      } catch (err) {
        if (attempt >= MAX_TRANSACTION_ATTEMPTS || !isTransientConflict(err)) throw err;
        await pause(conflictBackoffMs(attempt));
      }
    }
  }

  /**
   * `values: null` runs statements we built ourselves as they are (no template to render). The
   * whole transaction (with `extra`'s statements of our own around it) is one round trip: one
   * simple-protocol query, which PostgreSQL runs statement by statement and abandons at the first
   * error — the explicit `BEGIN … COMMIT` makes it all or nothing, exactly as separate queries
   * did. Each statement is complete (split SQL-aware), and the separator starts on a new line, so
   * a statement's trailing `--` comment cannot swallow the next one.
   *
   * When a rendered statement holds the password (or its verifier), the same statements go as
   * extended-protocol steps in one round trip instead, and those that hold it travel as bind
   * parameters (`secret-statements.ts`), so no query text the server shows or logs holds it;
   * what an idle connection keeps in `pg_stat_activity` is `COMMIT` (or, after a failure, `ROLLBACK`).
   */
  async #transactionOnce(statements: readonly string[], values: Record<string, string> | null, extra: TransactionExtras = {}): Promise<void> {
    const rendered = values ? statements.map((statement) => renderTemplate(statement, values)) : statements;
    const opening = [...(extra.prelude ?? []), "BEGIN", ...(extra.before ?? [])];
    const closing = [...(extra.after ?? []), "COMMIT", ...(extra.epilogue ?? [])];
    const secret = values?.password ?? "";
    const client = await this.#requirePool().connect();
    let broken = false;
    try {
      if (secret !== "" && rendered.some((statement) => statement.includes(secret))) {
        const ours = (texts: string[]) => texts.map((text) => ({ text }));
        await runSteps(client, [...ours(opening), ...secretFreeSteps(rendered, secret), ...ours(closing)]);
      } else {
        await client.query([...opening, ...rendered, ...closing].join("\n;\n"));
      }
    } catch (err) {
      broken = await client.query("ROLLBACK").then(() => false, () => true);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Best effort: rollback statements undo what a failed creation left outside its transaction. */
  async #rollback(statements: readonly string[], values: Record<string, string>): Promise<void> {
    if (statements.length === 0) return;
    await this.#transaction(statements, values).catch(() => undefined);
  }

  #requirePool(): PostgresPool {
    if (!this.#pool) throw new PluginError("the PostgreSQL plugin is not initialized or already closed");
    return this.#pool;
  }
}

/** A row of {@link BATCH_FACTS_SQL}. */
interface BatchFactsRow {
  name: string;
  superuser: boolean;
  is_connection_user: boolean;
  comment: string | null;
  elsewhere: boolean;
  bare: boolean;
}

/**
 * A batch's view of a request: the user, its role's settings, and whether anything depends on it
 * (never said of a role reassigning to a named heir, so a heir that does not exist is refused as
 * one by one).
 */
function batchUser(request: DeleteUserRequest, row: BatchFactsRow): BatchUser {
  const settings = request.settings ?? DEFAULT_REVOCATION_SETTINGS;
  return { username: request.username, settings, bare: row.bare === true && settings.reassignTo === "" };
}

/**
 * Statements of our own sent in a transaction's round trip: `prelude` before `BEGIN` (PostgreSQL
 * runs them inside the transaction that `BEGIN` then opens), `before` and `after` inside it around
 * the statements, `epilogue` after `COMMIT` (on its own, once the transaction is committed).
 */
interface TransactionExtras {
  prelude?: readonly string[];
  before?: readonly string[];
  after?: readonly string[];
  epilogue?: readonly string[];
}

/**
 * `guards` with the storage-reach guard (`reach`, see `storage-reach-guard.ts`) first among the
 * statements after the creation ones.
 */
function withReachGuard(reach: string[], guards: { before: string[]; after: string[] } | undefined): TransactionExtras | undefined {
  if (reach.length === 0) return guards;
  return { before: guards?.before ?? [], after: [...reach, ...(guards?.after ?? [])] };
}

/** The statement that ends every session of `username` except ours. */
function terminateSessionsStatement(username: string): string {
  return `SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = ${quoteLiteral(username)} AND pid <> pg_catalog.pg_backend_pid()`;
}

/**
 * A random pause before retrying a conflicting transaction: full jitter over a window that doubles
 * per attempt (10, 20, 40 … ms, capped at 500 ms), so many revocations racing on one table's ACL
 * (16 at once in bench/creds.ts) spread out instead of colliding again.
 */
export function conflictBackoffMs(attempt: number): number {
  return randomInt(1, Math.min(10 * 2 ** (attempt - 1), 500) + 1);
}

/**
 * Errors where the same transaction succeeds when run again: serialization failures, deadlocks,
 * and PostgreSQL's "tuple concurrently updated" on catalog rows (an internal error, XX000).
 */
function isTransientConflict(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  return code === "40001" || code === "40P01" || (code === "XX000" && /concurrently updated/.test(message ?? ""));
}

/** The template values of a statement. `{{ident}}` is the quoted name, for our own defaults. */
function statementValues(username: string, password: string, expiration: Date | undefined): Record<string, string> {
  return {
    name: username,
    username,
    ident: quoteIdentifier(username),
    password,
    expiration: expiration ? formatExpiration(expiration) : "",
  };
}
