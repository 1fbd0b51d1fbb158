import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  AuditFailedError,
  Engine,
  InvalidRequestError,
  ManualClock,
  MemoryStorage,
  PermissionDeniedError,
  type AuditEntry,
  type AuditSink,
} from "../../src/index.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";

const open: Engine[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((engine) => engine.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function setup(auditSinks: Record<string, AuditSink> = {}, storage = new MemoryStorage()) {
  const db = new FakeDatabase();
  const engine = await Engine.open({ storage, clock: new ManualClock(Date.UTC(2026, 0, 1)), plugins: [db.plugin("fake")], auditSinks });
  open.push(engine);
  const { rootToken } = await engine.initialize();
  const root = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/fake", {
    plugin_name: "fake",
    allowed_roles: "*",
    connection_url: "fake://{{username}}:{{password}}@nowhere",
    username: "root",
    password: "Root-connection-pw-1",
  });
  await root.write("database/roles/readonly", { db_name: "fake", creation_statements: "CREATE ROLE x", default_ttl: "1h" });
  return { engine, root, rootToken, db };
}

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vaultlet-audit-"));
  dirs.push(dir);
  return join(dir, "audit.log");
}

async function readEntries(path: string): Promise<AuditEntry[]> {
  return (await readFile(path, "utf8")).trim().split("\n").map((line) => JSON.parse(line) as AuditEntry);
}

describe("sys/audit", () => {
  it("refuses an option that is an object or a list with InvalidRequestError (options are scalars)", async () => {
    const { root } = await setup({ memory: () => {} });
    for (const value of [{ nested: "x" }, ["a"]]) {
      await expect(root.write("sys/audit/mem", { type: "stream", options: { sink: "memory", format: value } })).rejects.toThrow(InvalidRequestError);
    }
    expect((await root.read("sys/audit")).data).toEqual({});
  });

  it("enables, lists and disables devices; the listing shows type and options", async () => {
    const { root } = await setup({ memory: () => {} });
    const file = await tempFile();
    await root.write("sys/audit/file", { type: "file", description: "to disk", options: { file_path: file } });
    await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
    const listed = await root.read("sys/audit");
    expect(listed.data).toEqual({
      "file/": { type: "file", description: "to disk", options: { file_path: file }, path: "file/", local: false },
      "mem/": { type: "stream", description: "", options: { sink: "memory" }, path: "mem/", local: false },
    });
    await root.delete("sys/audit/file");
    expect(Object.keys((await root.read("sys/audit")).data!)).toEqual(["mem/"]);
  });

  it("refuses bad device configurations with clear errors and enables nothing", async () => {
    const { root } = await setup();
    await expect(root.write("sys/audit/x", { type: "syslog" })).rejects.toThrow(/type must be "file" or "stream"/);
    await expect(root.write("sys/audit/x", { type: "file" })).rejects.toThrow(/file_path is required/);
    await expect(root.write("sys/audit/x", { type: "stream", options: { sink: "nope" } })).rejects.toThrow(/no audit sink named "nope"/);
    await expect(root.write("sys/audit/x", { type: "file", options: { file_path: "/nonexistent-dir/a.log" } })).rejects.toThrow(/cannot open audit file.*ENOENT/);
    await expect(root.write("sys/audit/x", { type: "file", options: { file_path: await tempFile(), log_raw: true } })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.write("sys/audit/x", { type: "stream", local: true, options: { sink: "memory" } })).rejects.toThrow(/local: true is not supported/);
    await expect(root.write("sys/audit/x", { type: "stream", local: "maybe", options: { sink: "memory" } })).rejects.toThrow(/local must be true or false/);
    expect((await root.read("sys/audit")).data).toEqual({});
  });

  it("accepts local: false, Vault's default, and reports it", async () => {
    const { root } = await setup({ memory: () => undefined });
    const answer = await root.write("sys/audit/mem", { type: "stream", local: false, options: { sink: "memory" } });
    expect(answer.warnings).toBeNull();
    expect((await root.read("sys/audit")).data).toMatchObject({ "mem/": { local: false } });
  });

  it("needs sudo to enable, list or hash (Vault's root paths)", async () => {
    const { root, engine } = await setup();
    await root.write("sys/policy/ops", { policy: 'path "sys/audit*" { capabilities = ["create", "read", "update", "delete", "list"] }' });
    const { auth } = await root.write("auth/token/create", { policies: ["ops"] });
    const ops = engine.client(auth!.client_token);
    await expect(ops.write("sys/audit/file", { type: "file", options: { file_path: await tempFile() } })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(ops.read("sys/audit")).rejects.toBeInstanceOf(PermissionDeniedError);
    await root.write("sys/audit/file", { type: "file", options: { file_path: await tempFile() } });
    await expect(ops.delete("sys/audit/file")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(ops.write("sys/audit-hash/file", { input: "x" })).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(Object.keys((await root.read("sys/audit")).data!)).toEqual(["file/"]);
  });

  it("gives each stream sink its own copy: a sink that mutates an entry cannot touch another device's", async () => {
    const seen: AuditEntry[] = [];
    const { root } = await setup({
      vandal: (entry) => {
        entry.request.path = "tampered";
      },
      witness: (entry) => void seen.push(entry),
    });
    await root.write("sys/audit/vandal", { type: "stream", options: { sink: "vandal" } });
    await root.write("sys/audit/witness", { type: "stream", options: { sink: "witness" } });
    await root.read("sys/mounts");
    expect(seen.slice(-2).map((entry) => entry.request.path)).toEqual(["sys/mounts", "sys/mounts"]);
  });

  it("records a request and a response entry per call, with every secret HMAC'd", async () => {
    const entries: AuditEntry[] = [];
    const { root, rootToken } = await setup({ memory: (entry) => void entries.push(entry) });
    await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
    const creds = await root.read<{ username: string; password: string }>("database/creds/readonly");
    const [request, response] = entries.slice(-2) as [AuditEntry, AuditEntry];
    expect(request).toMatchObject({ type: "request", request: { id: creds.request_id, operation: "read", path: "database/creds/readonly", mount_type: "database", remote_address: null } });
    expect(request.response).toBeUndefined();
    expect(response).toMatchObject({
      type: "response",
      auth: { display_name: "root", policies: ["root"], token_policies: ["root"], client_token: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/), accessor: expect.stringMatching(/^hmac-sha256:/) },
      request: { id: creds.request_id },
      response: { secret: { lease_id: creds.lease_id }, data: { username: expect.stringMatching(/^hmac-sha256:/), password: expect.stringMatching(/^hmac-sha256:/) } },
    });
    const hash = await root.write("sys/audit-hash/mem", { input: creds.data!.password });
    expect(response.response!.data!.password).toBe(hash.data!.hash);
    const text = JSON.stringify(entries);
    expect(text).not.toContain(creds.data!.password);
    expect(text).not.toContain(rootToken);
  });

  it("HMACs request data (connection passwords), created tokens and their accessors", async () => {
    const entries: AuditEntry[] = [];
    const { root } = await setup({ memory: (entry) => void entries.push(entry) });
    await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
    await root.write("database/config/fake", { password: "Another-secret-pw-2" });
    const { auth } = await root.write("auth/token/create", { policies: ["default"], ttl: "1h" });
    const text = JSON.stringify(entries);
    for (const secret of ["Another-secret-pw-2", auth!.client_token, auth!.accessor]) expect(text).not.toContain(secret);
    const created = entries.at(-1)!;
    expect(created.response!.auth).toMatchObject({ client_token: expect.stringMatching(/^hmac-sha256:/), accessor: expect.stringMatching(/^hmac-sha256:/), policies: ["default"] });
  });

  it("keeps accessors readable with hmac_accessor: false", async () => {
    const entries: AuditEntry[] = [];
    const { root } = await setup({ memory: (entry) => void entries.push(entry) });
    await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory", hmac_accessor: false } });
    const { auth } = await root.write("auth/token/create", { policies: ["default"] });
    expect(entries.at(-1)!.response!.auth!.accessor).toBe(auth!.accessor);
    expect(JSON.stringify(entries)).not.toContain(auth!.client_token);
  });

  it("records failed requests with their error, for a bad token too (the token is HMAC'd)", async () => {
    const entries: AuditEntry[] = [];
    const { engine, root } = await setup({ memory: (entry) => void entries.push(entry) });
    await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
    await expect(engine.client("vls.not-a-real-token").read("database/creds/readonly")).rejects.toBeInstanceOf(PermissionDeniedError);
    const [request, response] = entries.slice(-2) as [AuditEntry, AuditEntry];
    expect(request).toMatchObject({ type: "request", error: expect.stringMatching(/permission denied/), auth: { client_token: expect.stringMatching(/^hmac-sha256:/) } });
    expect(response).toMatchObject({ type: "response", error: expect.stringMatching(/permission denied/) });
    expect(JSON.stringify(entries)).not.toContain("vls.not-a-real-token");
  });

  it("fails closed: when no device can record, the request is refused and nothing is done", async () => {
    let broken = false;
    const { root, db } = await setup({
      flaky: () => {
        if (broken) throw new Error("disk full");
      },
    });
    await root.write("sys/audit/flaky", { type: "stream", options: { sink: "flaky" } });
    broken = true;
    await expect(root.read("database/creds/readonly")).rejects.toBeInstanceOf(AuditFailedError);
    expect(db.users.size).toBe(0);
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toThrow();
    broken = false;
    await root.read("database/creds/readonly");
    expect(db.users.size).toBe(1);
  });

  it("succeeds while at least one device records", async () => {
    const entries: AuditEntry[] = [];
    const { root } = await setup({ good: (e) => void entries.push(e), bad: () => Promise.reject(new Error("down")) });
    await root.write("sys/audit/good", { type: "stream", options: { sink: "good" } });
    await root.write("sys/audit/bad", { type: "stream", options: { sink: "bad" } });
    await expect(root.read("database/creds/readonly")).resolves.toMatchObject({ lease_id: expect.any(String) });
    expect(entries.at(-1)!.request.path).toBe("database/creds/readonly");
  });

  it("file device: appends JSON lines; reopened engines keep devices and the HMAC key", async () => {
    const storage = new MemoryStorage();
    const file = await tempFile();
    const first = await setup({}, storage);
    await first.root.write("sys/audit/file", { type: "file", options: { file_path: file } });
    const before = (await first.root.write("sys/audit-hash/file", { input: "x" })).data!.hash;
    await first.engine.close();
    const engine = await Engine.open({ storage, clock: new ManualClock(Date.UTC(2026, 0, 1)), plugins: [new FakeDatabase().plugin("fake")] });
    open.push(engine);
    const root = engine.client(first.rootToken);
    expect((await root.write("sys/audit-hash/file", { input: "x" })).data!.hash).toBe(before);
    const entries = await readEntries(file);
    // The enabling request began before the device existed, so it is not recorded (as in Vault).
    expect(entries.map((e) => e.type)).toEqual(["request", "response", "request", "response"]);
    expect(entries.at(-1)!.request.path).toBe("sys/audit-hash/file");
  });

  it("a stream device whose sink is missing after reopen blocks requests until disabled", async () => {
    const storage = new MemoryStorage();
    const first = await setup({ memory: () => {} }, storage);
    await first.root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
    await first.engine.close();
    const engine = await Engine.open({ storage, plugins: [new FakeDatabase().plugin("fake")] });
    open.push(engine);
    const root = engine.client(first.rootToken);
    await expect(root.read("sys/mounts")).rejects.toBeInstanceOf(AuditFailedError);
  });

  it("writes JSON lines to a Writable sink", async () => {
    const lines: string[] = [];
    const writable = { write: (chunk: string, callback: (error?: Error | null) => void) => (lines.push(chunk), callback(), true) };
    const { root } = await setup({ out: writable });
    await root.write("sys/audit/out", { type: "stream", options: { sink: "out" } });
    await root.read("sys/mounts");
    expect(lines.map((line) => (JSON.parse(line) as AuditEntry).type)).toEqual(["request", "response"]);
  });
});
