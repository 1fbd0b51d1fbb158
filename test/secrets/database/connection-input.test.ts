/**
 * What a `connection_url` (or `host`/`port`) of the PostgreSQL plugin can make the engine do when
 * it is malformed or points at a server that never answers: a typed error in bounded time, never a
 * hang, and never a fragment of the password in the error, the response, the audit log or a log line.
 *
 * No database is needed: the inputs are refused before any connection, or the connection goes to
 * a TCP server that accepts and stays silent.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage, type Client, type Logger } from "../../../src/index.js";
import { SilentServer } from "../../support/silent-server.js";

/** What an unanswered connection is allowed to take with `connect_timeout=1` (pg's timer is wall-clock). */
const BOUNDED_MS = 4_000;
/** Short enough that today's 10 s (or forever) fails the test instead of passing slowly. */
const TEST_TIMEOUT_MS = 8_000;

const SECRET = "Zq7xK9wPpart";

let engine: Engine;
let root: Client;
let dir: string;
let auditFile: string;
let logLines: string[];
let silent: SilentServer;

function collectingLogger(): Logger {
  const at = (level: string) => (fields: object, message?: string) => void logLines.push(JSON.stringify({ level, fields, message }));
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

beforeEach(async () => {
  logLines = [];
  dir = await mkdtemp(join(tmpdir(), "vaultlet-connection-input-"));
  auditFile = join(dir, "audit.log");
  silent = await SilentServer.start();
  engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock(), logger: collectingLogger() });
  root = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("sys/audit/file", { type: "file", options: { file_path: auditFile } });
});

afterEach(async () => {
  await engine.close();
  await silent.close();
  await rm(dir, { recursive: true, force: true });
});

/** A config write; resolves to the error it failed with (or fails the test if it succeeded). */
async function failedWrite(fields: Record<string, unknown>, name = "bad"): Promise<Error & { code?: string }> {
  const result = await root.write(`database/config/${name}`, { plugin_name: "postgresql-database-plugin", allowed_roles: "*", ...fields }).then(
    () => undefined,
    (error: unknown) => error as Error & { code?: string },
  );
  expect(result, "the write should have failed").toBeDefined();
  return result!;
}

/** Every place a failed write leaves text: the error, its JSON, the audit file, the log. */
async function everythingRecorded(error: Error): Promise<string> {
  return [error.message, String(error.stack), JSON.stringify(error), await readFile(auditFile, "utf8"), ...logLines].join("\n");
}

describe("ports", () => {
  it.each([
    ["a keyword/value port past 65535", { connection_url: "host=127.0.0.1 port=99999999 dbname=app user={{username}} password={{password}}" }],
    ["a keyword/value port that is not a number", { connection_url: "host=127.0.0.1 port=54x32 dbname=app" }],
    ["a keyword/value port 0", { connection_url: "host=127.0.0.1 port=0 dbname=app" }],
    ["a URL's port parameter past 65535", { connection_url: "postgresql://{{username}}:{{password}}@127.0.0.1/app?port=99999999" }],
    ["a URL's port parameter that is negative", { connection_url: "postgresql://127.0.0.1/app?port=-5" }],
    ["a URL's own port past 65535", { connection_url: "postgresql://{{username}}:{{password}}@127.0.0.1:99999999/app" }],
    ["the port field past 65535", { connection_url: "", host: "127.0.0.1", port: 99999999, database: "app" }],
  ])("refuses %s with a 400 naming port, at once, storing nothing", async (_what, fields) => {
    const started = performance.now();
    const error = await failedWrite({ username: "admin", password: "pw", ...fields });
    expect(performance.now() - started).toBeLessThan(BOUNDED_MS);
    expect(error).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/\bport\b.*1 to 65535/) });
    expect(error.message).not.toMatch(/99999999|54x32|-5/);
    await expect(root.read("database/config/bad")).rejects.toMatchObject({ status: 404 });
    // The engine still answers: a later write of a good config is not stuck behind the bad one.
    await root.write("database/config/later", { plugin_name: "postgresql-database-plugin", connection_url: "host=127.0.0.1 port=5432", verify_connection: false });
  }, TEST_TIMEOUT_MS);
});

it("refuses a host list in the host field, as in a URL (pg would look the whole list up as one name)", async () => {
  const error = await failedWrite({ connection_url: "", host: "10.0.0.1,10.0.0.2", database: "app" });
  expect(error).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/several hosts/) });
}, TEST_TIMEOUT_MS);

describe("connect_timeout and other numeric keys", () => {
  it.each([
    ["connect_timeout=0 (libpq's 'wait forever')", "host=127.0.0.1 connect_timeout=0", /connect_timeout/],
    ["a negative connect_timeout", "host=127.0.0.1 connect_timeout=-1", /connect_timeout/],
    ["a connect_timeout that is not a number", "host=127.0.0.1 connect_timeout=soon", /connect_timeout/],
    ["a connect_timeout past the bound", "host=127.0.0.1 connect_timeout=100000", /connect_timeout/],
    ["keepalives other than 0 or 1", "host=127.0.0.1 keepalives=yes", /keepalives/],
    ["a URL's connect_timeout that is not a number", "postgresql://127.0.0.1/app?connect_timeout=1s", /connect_timeout/],
    ["a URL's statement_timeout that is not a number", "postgresql://127.0.0.1/app?statement_timeout=lots", /statement_timeout/],
  ])("refuses %s with a 400 naming it", async (_what, url, key) => {
    const error = await failedWrite({ connection_url: url, verify_connection: false });
    expect(error).toMatchObject({ code: "invalid_request", message: expect.stringMatching(key) });
  }, TEST_TIMEOUT_MS);
});

describe("a server that accepts and never answers", () => {
  it.each([
    ["a keyword/value string", (port: number) => `host=127.0.0.1 port=${port} dbname=app user={{username}} password={{password}} connect_timeout=1`],
    ["a URL", (port: number) => `postgresql://{{username}}:{{password}}@127.0.0.1:${port}/app?connect_timeout=1`],
  ])("fails a write with verify_connection in bounded time with a PluginError (%s)", async (_what, url) => {
    const started = performance.now();
    const error = await failedWrite({ connection_url: url(silent.port), username: "admin", password: SECRET });
    expect(performance.now() - started).toBeLessThan(BOUNDED_MS);
    expect(silent.accepted).toBeGreaterThan(0);
    expect(error).toMatchObject({ code: "plugin_error", message: expect.stringMatching(/could not connect/) });
    expect(await everythingRecorded(error)).not.toContain(SECRET);
  }, TEST_TIMEOUT_MS);

  it("fails a creds read in bounded time instead of hanging, and again the next time", async () => {
    await root.write("database/config/silent", {
      plugin_name: "postgresql-database-plugin",
      allowed_roles: "*",
      connection_url: `host=127.0.0.1 port=${silent.port} dbname=app user={{username}} password={{password}} connect_timeout=1`,
      username: "admin",
      password: SECRET,
      verify_connection: false,
    });
    await root.write("database/roles/app", { db_name: "silent", creation_statements: `CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}'` });
    for (let attempt = 0; attempt < 2; attempt++) {
      const started = performance.now();
      await expect(root.read("database/creds/app")).rejects.toMatchObject({ code: "plugin_error" });
      expect(performance.now() - started).toBeLessThan(BOUNDED_MS);
    }
  }, 2 * TEST_TIMEOUT_MS);
});

describe("a malformed connection_url never shows a fragment of the password", () => {
  it.each([
    ["an unquoted password with a space", `host=127.0.0.1 password=hunter ${SECRET} dbname=app`],
    ["an unquoted password with a space and an =", `host=127.0.0.1 password=hunter ${SECRET}=x dbname=app`],
    ["a quote closed too early", `host=127.0.0.1 password='hunter'${SECRET}' dbname=app`],
    ["a quote never closed", `host=127.0.0.1 dbname=app password='hunter ${SECRET}`],
    ["a password where a keyword belongs", `host=127.0.0.1 dbname=app ${SECRET}`],
    ["template braces in a password", `postgresql://admin:pw{{#${SECRET}}}@127.0.0.1/app`],
    ["an unknown template variable in a password", `postgresql://admin:pw{{${SECRET}}}@127.0.0.1/app`],
    ["an unclosed template tag in a password", `postgresql://admin:pw{{${SECRET}@127.0.0.1/app`],
    ["a raw password that spills into target_session_attrs", `postgresql://admin@127.0.0.1/app?target_session_attrs=${SECRET}`],
    ["a raw password that makes the URL invalid", `postgresql://admin:pw${SECRET}@127.0.0.1:54x32/app`],
  ])("%s: a 400 with no trace of it in the error, the response, the audit log or the log", async (_what, url) => {
    const error = await failedWrite({ connection_url: url });
    expect(error).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/^connection_url/) });
    expect(await everythingRecorded(error)).not.toContain(SECRET);
    await expect(root.read("database/config/bad")).rejects.toMatchObject({ status: 404 });
  }, TEST_TIMEOUT_MS);
});
