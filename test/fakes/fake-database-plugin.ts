/**
 * An in-memory stand-in for a database and its plugin, for unit tests of the pure core. It passes
 * `databasePluginContract` (test/secrets/database/fake-database-plugin.test.ts), so what the core
 * tests learn from it holds for the PostgreSQL plugin too.
 *
 * Statements are ignored except two markers, which stand for what SQL would do:
 * - {@link FAKE_FAIL} (optionally followed by text, e.g. `{{password}}`): the database refuses it;
 * - {@link FAKE_PAUSE}: the statement takes a few event-loop turns, so an operation stays in flight.
 */
import type { ConnectionSettings, DatabasePlugin, DatabasePluginDescriptor, DeleteUserRequest } from "../../src/index.js";
import { PluginError } from "../../src/errors.js";
import { renderTemplate } from "../../src/secrets/database/template.js";
import { redact } from "../../src/secrets/database/plugins/postgres/sanitize.js";

/** A statement the fake database refuses. */
export const FAKE_FAIL = "-- fake: fail";
/** A statement that keeps its operation in flight for a few event-loop turns. */
export const FAKE_PAUSE = "-- fake: pause";
/** A `connectionUrl` the fake cannot reach. */
export const FAKE_UNREACHABLE_URL = "fake://{{username}}:{{password}}@unreachable";

/** A user of the fake database. */
export interface FakeUser {
  password: string;
  expiration: Date;
}

/** The fake database: its users, switches that make it misbehave, and what it was asked. */
export class FakeDatabase {
  readonly users = new Map<string, FakeUser>();
  /** Rendered rollback statements, in the order they ran. */
  readonly rollbacks: string[] = [];
  failNextCreate = false;
  failDeletes = false;
  /** The database is down: every operation fails as unreachable (`PluginError.unreachable`), changing nothing. */
  down = false;
  deleteCalls = 0;
  /**
   * Whether plugins created from now on revoke in bulk (`revokeUsers`), as the PostgreSQL plugin
   * does; off by default, so tests that count `deleteCalls` see one call per user.
   */
  batchRevocation = false;
  /** The size of each `revokeUsers` call, in order. */
  readonly revokeUsersCalls: number[] = [];
  /** Awaited by every user creation before the user exists: a test holds creations in flight with it. */
  beforeCreate: (() => Promise<void>) | undefined;
  /** Awaited by every `revokeUsers` call before it revokes anything. */
  beforeRevoke: (() => Promise<void>) | undefined;

  /** The descriptor that registers this database's plugin (`Engine.open({ plugins: [db.plugin()] })`). */
  plugin(name = "fake-database-plugin"): DatabasePluginDescriptor {
    return { name, maxUsernameBytes: 63, create: this.factory };
  }

  /** Whether `username` can log in with `password` at `now` (the user exists and has not expired). */
  canLogin(username: string, password: string, now = Date.now()): boolean {
    const user = this.users.get(username);
    return user !== undefined && user.password === password && user.expiration.getTime() > now;
  }

  /**
   * Creates an uninitialized plugin instance. An object of own properties (not a class instance),
   * so tests can wrap a method with `{ ...plugin, deleteUser }`.
   */
  factory = (): DatabasePlugin => {
    const db = this;
    let secrets: (string | undefined)[] = [];
    let state: "new" | "open" | "closed" = "new";
    let active = 0;
    let idle: (() => void) | undefined;
    let closing: Promise<void> | undefined;

    /** Counts an operation so `close` waits for it; refuses one on a plugin not open. */
    async function tracked(operation: () => Promise<void>): Promise<void> {
      if (state !== "open" || closing) throw new PluginError("the fake plugin is not initialized or already closed");
      active++;
      try {
        await operation();
      } finally {
        if (--active === 0) idle?.();
      }
    }

    /** Runs statements "in a transaction": a refused one fails the whole, which then changed nothing. */
    async function run(statements: readonly string[], values: Record<string, string>, extraSecrets: string[]): Promise<void> {
      for (const template of statements) {
        const statement = renderTemplate(template, values);
        if (statement.startsWith(FAKE_PAUSE)) for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
        if (statement.startsWith(FAKE_FAIL)) {
          // Like a driver echoing the statement; redacted as the PostgreSQL plugin does.
          throw new PluginError(`statement refused: ${redact(statement, [...secrets, ...extraSecrets])}`, { refused: true });
        }
      }
    }

    /** One user's revocation; `counted`: one of `deleteCalls` (a `deleteUser` call). */
    async function deleteOne(request: DeleteUserRequest, counted = true): Promise<void> {
      if (counted) db.deleteCalls++;
      if (db.down) throw new PluginError("revoking the database user failed: connect ECONNREFUSED", { unreachable: true });
      if (db.failDeletes) throw new PluginError("revoking the database user failed: database unreachable");
      if (!db.users.has(request.username)) return;
      await run(request.statements, values(request.username), []);
      db.users.delete(request.username);
    }

    function values(username: string, password = "", expiration?: Date): Record<string, string> {
      return { name: username, username, password, expiration: expiration?.toISOString() ?? "" };
    }

    return {
      name: "fake-database-plugin",
      async initialize(settings: ConnectionSettings, { verifyConnection }) {
        secrets = [settings.password];
        if (verifyConnection && settings.connectionUrl.includes("unreachable")) {
          throw new PluginError("could not connect to the database: connection refused");
        }
        state = "open";
      },
      newUser: (request) =>
        tracked(async () => {
          await db.beforeCreate?.();
          if (db.down) throw new PluginError("creating the database user failed: connect ECONNREFUSED", { unreachable: true });
          const vals = values(request.username, request.password, request.expiration);
          try {
            if (db.failNextCreate) {
              db.failNextCreate = false;
              throw new PluginError("creating the database user failed: boom", { refused: true });
            }
            if (db.users.has(request.username)) throw new PluginError(`the database user ${JSON.stringify(request.username)} already exists`, { refused: true });
            await run(request.statements, vals, [request.password]);
            db.users.set(request.username, { password: request.password, expiration: request.expiration });
          } catch (err) {
            for (const statement of request.rollbackStatements) db.rollbacks.push(renderTemplate(statement, vals));
            throw err;
          }
        }),
      renewUser: (request) =>
        tracked(async () => {
          const user = db.users.get(request.username);
          // As `ALTER ROLE … VALID UNTIL` does on a missing role.
          if (!user) throw new PluginError(`renewing the database user failed: ${JSON.stringify(request.username)} does not exist`, { refused: true });
          await run(request.statements, values(request.username, "", request.expiration), []);
          user.expiration = request.expiration;
        }),
      deleteUser: (request) => tracked(() => deleteOne(request)),
      ...(db.batchRevocation && {
        // As the PostgreSQL plugin's: unreachable rejects the whole, trying nothing; otherwise each user alone.
        revokeUsers: async (requests: readonly DeleteUserRequest[]) => {
          let outcomes: Array<PluginError | undefined> = [];
          await tracked(async () => {
            await db.beforeRevoke?.();
            db.revokeUsersCalls.push(requests.length);
            if (db.down) throw new PluginError("revoking the database users failed: connect ECONNREFUSED", { unreachable: true });
            outcomes = await Promise.all(requests.map((request) => deleteOne(request, false).then(() => undefined, (err: PluginError) => err)));
          });
          return outcomes;
        },
      }),
      changePassword: (request) =>
        tracked(async () => {
          const user = db.users.get(request.username);
          if (!user) throw new PluginError(`the database user ${JSON.stringify(request.username)} does not exist`, { refused: true });
          await run(request.statements, values(request.username, request.password), [request.password]);
          user.password = request.password;
        }),
      close() {
        closing ??= (async () => {
          if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
          state = "closed";
        })();
        return closing;
      },
    };
  };
}
