/**
 * The example's `main`: a dev server on loopback whose root token goes to a 0600 file, never to
 * the console; and the server's handling of errors that are not `VaultletError`s.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { once } from "node:events";
import { afterEach, expect, it } from "vitest";
import { Engine, MemoryStorage } from "../../src/index.js";
import { serveOnLoopback } from "./serve.js";

const repo = resolve(import.meta.dirname, "../..");
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

it("runs as a dev server on 127.0.0.1, writes the root token to a 0600 file and never prints it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "vaultlet-dev-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, "root-token");
  const child = spawn(process.execPath, ["--import", "tsx", join(repo, "examples/vault-http-server.ts")], {
    cwd: repo,
    env: { ...process.env, VAULTLET_PORT: "0", VAULTLET_TOKEN_FILE: tokenFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(async () => void child.kill("SIGKILL"));
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const address = await new Promise<string>((found, fail) => {
    child.stdout.on("data", () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) found(match[1]!);
    });
    child.once("exit", () => fail(new Error(`dev server exited: ${output}`)));
  });

  const token = (await readFile(tokenFile, "utf8")).trim();
  expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
  const mounts = await fetch(`${address}/v1/sys/mounts`, { headers: { "X-Vault-Token": token } });
  expect(mounts.status).toBe(200);
  expect((await fetch(`${address}/v1/sys/mounts`)).status).toBe(403);

  child.kill("SIGTERM");
  const [code] = (await once(child, "exit")) as [number | null];
  expect(code).toBe(0);
  expect(output).not.toContain(token);
});

it("answers an unexpected error with a generic 500 and hands it to onUnexpectedError", async () => {
  const secretText = "postgresql://admin:Sup3r-secret@db/app";
  const broken = {
    initialized: true,
    request: async () => {
      throw new Error(`driver exploded near ${secretText}`);
    },
    write: async () => {
      throw new TypeError("not a function");
    },
  } as unknown as Engine;
  const seen: unknown[] = [];
  const server = await serveOnLoopback(broken, { onUnexpectedError: (error) => seen.push(error) });
  cleanups.push(() => server.close());
  const read = await fetch(`${server.address}/v1/database/creds/readonly`, { headers: { "X-Vault-Token": "t" } });
  expect(read.status).toBe(500);
  const text = await read.text();
  expect(JSON.parse(text)).toEqual({ errors: ["internal error"] });
  expect(text).not.toContain("Sup3r-secret");
  expect((await fetch(`${server.address}/v1/x`, { method: "POST", body: "{}" })).status).toBe(500);
  expect(seen.map((error) => (error as Error).constructor.name)).toEqual(["Error", "TypeError"]);

  const throwingHook = await serveOnLoopback(broken, {
    onUnexpectedError: () => {
      throw new Error("the logger is broken too");
    },
  });
  cleanups.push(() => throwingHook.close());
  expect((await fetch(`${throwingHook.address}/v1/x`, { headers: { "X-Vault-Token": "t" } })).status).toBe(500);
});

it("never quotes the request in its own errors: malformed JSON, an unknown path or method", async () => {
  const engine = await Engine.open({ storage: new MemoryStorage() });
  cleanups.push(() => engine.close());
  const { rootToken } = await engine.initialize();
  const server = await serveOnLoopback(engine);
  cleanups.push(() => server.close());
  const secret = "hunter2-Sup3r-secret";
  const headers = { "X-Vault-Token": rootToken, "Content-Type": "application/json" };
  const bodies = [
    `{"password": ${secret}}`, // Unexpected token … "…hunter2…" is not valid JSON
    secret,
    `["${secret}"`,
    `{"username": "u", "password": "${secret}"} trailing-${secret}`,
    `{"password": "${secret}`,
  ];
  for (const body of bodies) {
    const reply = await fetch(`${server.address}/v1/database/config/pg`, { method: "POST", headers, body });
    const text = await reply.text();
    expect(reply.status, body).toBe(400);
    expect(JSON.parse(text).errors[0]).toMatch(/^failed to parse JSON input: the body is not valid JSON( at position \d+)?$/);
    expect(text, body).not.toContain("hunter2");
  }
  const unknownPath = await fetch(`${server.address}/${secret}`, { headers });
  expect(unknownPath.status).toBe(404);
  expect(await unknownPath.text()).not.toContain("hunter2");
  const unknownMethod = await fetch(`${server.address}/v1/sys/mounts`, { method: "OPTIONS", headers });
  expect(unknownMethod.status).toBe(405);
  expect(await unknownMethod.text()).not.toContain("OPTIONS");
});
