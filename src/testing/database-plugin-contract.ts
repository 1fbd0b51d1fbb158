/**
 * The `DatabasePlugin` contract: one suite every plugin runs against its own database — vaultlet's
 * PostgreSQL plugin against a real server, the core tests' fake in memory, and any plugin a user
 * writes. Import it from `vaultlet/testing`.
 *
 * The suite speaks only the plugin interface; what it cannot know about a database (how to try a
 * login, read an expiry, or which statement fails) the target supplies.
 *
 * ```ts
 * import { databasePluginContract } from "vaultlet/testing";
 *
 * databasePluginContract("my plugin", async () => ({
 *   descriptor: myPlugin(),
 *   settings: { connectionUrl: url, maxOpenConnections: 2 },
 *   statements: { create: [...], failing: "...", rollback: [...], slow: "..." },
 *   canLogin: (username, password) => ...,
 *   userExists: (username) => ...,
 *   expiration: (username) => ...,
 *   rollbackRan: (username) => ...,
 * }), { skip: { "close-waits": "this plugin has no connections to drain" } });
 * ```
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginError } from "../errors.js";
import type { ConnectionSettings, DatabasePlugin, DatabasePluginDescriptor } from "../secrets/database/plugin.js";

/** The cases of {@link databasePluginContract}, by the id `options.skip` names them with. */
export type DatabasePluginContractCase =
  | "login-works"
  | "failed-create"
  | "renew-moves-expiry"
  | "delete-idempotent"
  | "change-password"
  | "errors-are-safe"
  | "close-waits";

/** What a plugin hands the suite: the plugin, its database, and ways to look into that database. */
export interface DatabasePluginContractTarget {
  /** The plugin under test; `create()` is called once per case. */
  descriptor: DatabasePluginDescriptor;
  /** What `initialize` gets; the suite initializes with `verifyConnection: true`. */
  settings: ConnectionSettings;
  /**
   * Settings whose database cannot be reached (e.g. a closed port), with a `password` the errors
   * must not show. Absent: the unreachable part of `errors-are-safe` is not run.
   */
  unreachableSettings?: ConnectionSettings;
  /** Statement templates in the database's language (`{{name}}`, `{{password}}`, `{{expiration}}`). */
  statements: {
    /** Creates a user `{{name}}` who logs in with `{{password}}` until `{{expiration}}`. */
    create: string[];
    /**
     * A statement the database refuses. Best if its error echoes `{{password}}` (PostgreSQL:
     * `SELECT '{{password}}'::int`), so the suite sees the plugin redact it.
     */
    failing: string;
    /** Rollback statements whose running {@link DatabasePluginContractTarget.rollbackRan} can see. */
    rollback: string[];
    /** A statement that takes a moment (PostgreSQL: `SELECT pg_sleep(0.2)`), to keep an operation in flight. */
    slow: string;
  };
  /** Usernames the suite makes start with this (a test database's role prefix); default `vlc_`. */
  usernamePrefix?: string;
  /** Whether `username` can log in with `password` now. */
  canLogin(username: string, password: string): Promise<boolean>;
  /** Whether a user named `username` exists. */
  userExists(username: string): Promise<boolean>;
  /** The user's expiry (`VALID UNTIL`), or `undefined` when it has none or does not exist. */
  expiration(username: string): Promise<Date | undefined>;
  /** Whether the rollback statements ran for `username`. */
  rollbackRan(username: string): Promise<boolean>;
  /** Releases what the target opened, after the last case. */
  cleanup?(): Promise<void>;
}

/** Options of {@link databasePluginContract}. */
export interface DatabasePluginContractOptions {
  /** Cases to skip, each with the reason (shown in the test name). */
  skip?: Partial<Record<DatabasePluginContractCase, string>>;
  /** Per-case timeout in ms (default 30 000: real databases are slow to create roles under load). */
  timeoutMs?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Registers the contract tests for a database plugin. `target` is called once, in `beforeAll`
 * (so it may use a test database that exists only from then on).
 */
export function databasePluginContract(
  name: string,
  target: () => DatabasePluginContractTarget | Promise<DatabasePluginContractTarget>,
  options: DatabasePluginContractOptions = {},
): void {
  describe(`DatabasePlugin contract: ${name}`, () => {
    let subject: DatabasePluginContractTarget | undefined;
    const opened: DatabasePlugin[] = [];
    let counter = 0;

    beforeAll(async () => {
      subject = await target();
    });
    afterAll(async () => {
      await Promise.allSettled(opened.map((plugin) => plugin.close()));
      await subject?.cleanup?.();
    });

    const t = (): DatabasePluginContractTarget => {
      if (!subject) throw new Error("databasePluginContract: the target was not set up");
      return subject;
    };
    /** A fresh, initialized instance, closed after the suite. */
    const open = async (): Promise<DatabasePlugin> => {
      const plugin = t().descriptor.create();
      opened.push(plugin);
      await plugin.initialize(t().settings, { verifyConnection: true });
      return plugin;
    };
    /** A username unique to the run; `bytes` pads it to that length. */
    const username = (label: string, bytes?: number): string => {
      const base = `${t().usernamePrefix ?? "vlc_"}${label}_${++counter}_${randomUUID().slice(0, 8)}`;
      return bytes === undefined ? base : (base + "x".repeat(Math.max(0, bytes - base.length))).slice(0, bytes);
    };
    const password = (): string => `Pw-${randomUUID()}`;
    const create = (plugin: DatabasePlugin, user: string, secret: string, expiration = new Date(Date.now() + HOUR_MS)) =>
      plugin.newUser({ username: user, password: secret, expiration, statements: t().statements.create, rollbackStatements: [] });

    const test = (id: DatabasePluginContractCase, title: string, body: () => Promise<void>): void => {
      const reason = options.skip?.[id];
      if (reason) it.skip(`${title} (skipped: ${reason})`, body);
      else it(title, { timeout: options.timeoutMs ?? 30_000 }, body);
    };

    test("login-works", "a created user can log in, with its password only, at the longest username the descriptor allows", async () => {
      const plugin = await open();
      const user = username("login", t().descriptor.maxUsernameBytes);
      expect(Buffer.byteLength(user)).toBe(t().descriptor.maxUsernameBytes);
      const secret = password();
      await create(plugin, user, secret);
      expect(await t().canLogin(user, secret)).toBe(true);
      expect(await t().canLogin(user, password())).toBe(false);
      await plugin.deleteUser({ username: user, statements: [] });
    });

    test("failed-create", "a refused creation statement leaves no user, runs the rollback statements and says refused", async () => {
      const plugin = await open();
      const user = username("failed");
      const error = await plugin
        .newUser({
          username: user,
          password: password(),
          expiration: new Date(Date.now() + HOUR_MS),
          statements: [...t().statements.create, t().statements.failing],
          rollbackStatements: t().statements.rollback,
        })
        .then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(PluginError);
      expect((error as PluginError).refused).toBe(true);
      expect(await t().userExists(user)).toBe(false);
      expect(await t().rollbackRan(user)).toBe(true);
    });

    test("renew-moves-expiry", "renew moves the user's expiry and the user can still log in", async () => {
      const plugin = await open();
      const user = username("renew");
      const secret = password();
      const first = new Date(Date.now() + HOUR_MS);
      await create(plugin, user, secret, first);
      expect(Math.abs(((await t().expiration(user))?.getTime() ?? 0) - first.getTime())).toBeLessThan(1000);
      const later = new Date(first.getTime() + 2 * HOUR_MS);
      await plugin.renewUser({ username: user, expiration: later, statements: [] });
      expect(Math.abs(((await t().expiration(user))?.getTime() ?? 0) - later.getTime())).toBeLessThan(1000);
      expect(await t().canLogin(user, secret)).toBe(true);
      await plugin.deleteUser({ username: user, statements: [] });
    });

    test("delete-idempotent", "delete removes the user, and deleting a missing user succeeds", async () => {
      const plugin = await open();
      const user = username("delete");
      const secret = password();
      await create(plugin, user, secret);
      await plugin.deleteUser({ username: user, statements: [] });
      expect(await t().userExists(user)).toBe(false);
      expect(await t().canLogin(user, secret)).toBe(false);
      await expect(plugin.deleteUser({ username: user, statements: [] })).resolves.toBeUndefined();
      await expect(plugin.deleteUser({ username: username("never"), statements: [] })).resolves.toBeUndefined();
    });

    test("change-password", "change-password sets a user's password, and on a missing user fails refused, changing nothing", async () => {
      const plugin = await open();
      if (!plugin.changePassword) throw new Error(`${plugin.name} has no changePassword: skip "change-password" with that reason`);
      const user = username("chpw");
      const [before, after] = [password(), password()];
      await create(plugin, user, before);
      await plugin.changePassword({ username: user, password: after, statements: [] });
      expect(await t().canLogin(user, after)).toBe(true);
      expect(await t().canLogin(user, before)).toBe(false);
      await plugin.deleteUser({ username: user, statements: [] });

      const missing = username("chpw_missing");
      const error = await plugin.changePassword({ username: missing, password: password(), statements: [] }).then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(PluginError);
      expect((error as PluginError).refused).toBe(true);
      expect(await t().userExists(missing)).toBe(false);
    });

    test("errors-are-safe", "every error is a PluginError that shows no password, in its message or cause chain", async () => {
      const plugin = await open();
      const failures: Array<{ error: unknown; secret: string }> = [];
      const catchWith = async (secret: string, run: () => Promise<unknown>) => {
        failures.push({ error: await run().then(() => new Error("expected a rejection"), (err: unknown) => err), secret });
      };
      const refusedSecret = password();
      await catchWith(refusedSecret, () =>
        plugin.newUser({
          username: username("unsafe"),
          password: refusedSecret,
          expiration: new Date(Date.now() + HOUR_MS),
          statements: [t().statements.failing],
          rollbackStatements: [],
        }),
      );
      const renewTarget = username("missing");
      await catchWith(t().settings.password ?? refusedSecret, () => plugin.renewUser({ username: renewTarget, expiration: new Date(Date.now() + HOUR_MS), statements: [] }));
      const unreachable = t().unreachableSettings;
      if (unreachable) {
        const offline = t().descriptor.create();
        const error = await offline.initialize(unreachable, { verifyConnection: true }).then(() => new Error("expected a rejection"), (err: unknown) => err);
        await offline.close().catch(() => undefined);
        expect(error).toBeInstanceOf(PluginError);
        expect((error as PluginError).refused).toBe(false); // unreachable: the outcome is unknown, not refused
        failures.push({ error, secret: unreachable.password ?? "" });
      }
      await plugin.close();
      const afterClose = password();
      await catchWith(afterClose, () =>
        plugin.newUser({ username: username("closed"), password: afterClose, expiration: new Date(), statements: t().statements.create, rollbackStatements: [] }),
      );
      for (const { error, secret } of failures) {
        expect(error).toBeInstanceOf(PluginError);
        for (const text of describeChain(error)) expect(text).not.toContain(secret);
      }
    });

    test("close-waits", "close waits for operations in flight, then refuses new ones", async () => {
      const plugin = await open();
      const user = username("inflight");
      const secret = password();
      let settled = false;
      const inFlight = plugin
        .newUser({
          username: user,
          password: secret,
          expiration: new Date(Date.now() + HOUR_MS),
          statements: [...t().statements.create, t().statements.slow],
          rollbackStatements: [],
        })
        .finally(() => (settled = true));
      await plugin.close();
      expect(settled).toBe(true);
      await expect(inFlight).resolves.toBeUndefined();
      expect(await t().canLogin(user, secret)).toBe(true);
      await expect(plugin.deleteUser({ username: user, statements: [] })).rejects.toBeInstanceOf(PluginError);
      await (await open()).deleteUser({ username: user, statements: [] });
    });
  });
}

/** Every text an error exposes, following `cause`: messages, stacks and the causes' own fields. */
function describeChain(error: unknown): string[] {
  const texts: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && current !== null && !seen.has(current); ) {
    seen.add(current);
    if (current instanceof Error) {
      texts.push(current.message, current.stack ?? "");
      texts.push(JSON.stringify(Object.fromEntries(Object.entries(current))));
      current = current.cause;
    } else {
      texts.push(typeof current === "string" ? current : JSON.stringify(current));
      current = undefined;
    }
  }
  return texts;
}
