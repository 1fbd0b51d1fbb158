/**
 * `pg` is loaded only when PostgreSQL is first used: importing vaultlet and serving requests on
 * memory storage never loads it (issue 14, start-up). Each case runs in a fresh child process,
 * since this test process has loaded `pg` long ago. `pg` is CommonJS, so once loaded (by `import`
 * or `require`) it sits in `require.cache`.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { escapeIdentifier, escapeLiteral } from "../../src/util/sql-quote.js";
import { lazyPgPool } from "../../src/util/load-pg.js";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");
const index = pathToFileURL(resolve(repo, "src/index.ts")).href;

/** Runs `body` (ESM, with `vaultlet` = the source entry) in a fresh process; returns whether `pg` got loaded. */
async function pgLoadedAfter(body: string): Promise<boolean> {
  const script = `
    import { createRequire } from "node:module";
    const vaultlet = await import(${JSON.stringify(index)});
    ${body}
    const loaded = Object.keys(createRequire(import.meta.url).cache).some((file) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(file));
    console.log(JSON.stringify({ loaded }));
  `;
  const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repo });
  return (JSON.parse(stdout.trim().split("\n").pop()!) as { loaded: boolean }).loaded;
}

describe("pg is loaded on first use", { timeout: 60_000 }, () => {
  it("is not loaded by importing vaultlet, opening an engine on memory storage and serving requests", async () => {
    const loaded = await pgLoadedAfter(`
      const engine = await vaultlet.Engine.open({ storage: new vaultlet.MemoryStorage() });
      const { rootToken } = await engine.initialize();
      const root = engine.client(rootToken);
      await root.write("sys/mounts/database", { type: "database" });
      await root.read("sys/mounts");
      new vaultlet.PostgresStorage({ connectionString: "postgres://nobody@127.0.0.1:1/none" }); // built, never used
      await engine.close();
    `);
    expect(loaded).toBe(false);
  });

  it("is loaded once a PostgresStorage is first used", async () => {
    const loaded = await pgLoadedAfter(`
      const storage = new vaultlet.PostgresStorage({ connectionString: "postgres://nobody@127.0.0.1:1/none" });
      await storage.get("x").catch(() => undefined); // nothing listens on port 1: the connection fails
      await storage.close();
    `);
    expect(loaded).toBe(true);
  });
});

describe("lazyPgPool", () => {
  it("can be ended before its first use, and refuses queries after", async () => {
    const pool = lazyPgPool({ connectionString: "postgres://nobody@127.0.0.1:1/none" });
    await pool.end();
    await expect(pool.query("SELECT 1")).rejects.toThrow(/after calling end/);
  });
});

describe("SQL quoting without pg", () => {
  it("quotes as pg.escapeIdentifier and pg.escapeLiteral do", async () => {
    const { default: pg } = await import("pg");
    for (const text of ["plain", 'a"b', "it's", "back\\slash", "'\\'", ""]) {
      expect(escapeIdentifier(text)).toBe(pg.escapeIdentifier(text));
      expect(escapeLiteral(text)).toBe(pg.escapeLiteral(text));
    }
  });
});
