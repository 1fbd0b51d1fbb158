import { describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage, NotFoundError, PermissionDeniedError, type AuditEntry } from "../src/index.js";
import { useEngineFixture } from "./support/engine-fixture.js";

/** Memory storage that counts reads of token entries (one per token lookup). */
class CountingStorage extends MemoryStorage {
  tokenReads = 0;
  override async get(key: string): Promise<Uint8Array | undefined> {
    if (key.startsWith("sys/token/id/")) this.tokenReads++;
    return super.get(key);
  }
}

async function auditedEngine() {
  const entries: AuditEntry[] = [];
  const storage = new CountingStorage();
  const engine = await Engine.open({ storage, clock: new ManualClock(Date.UTC(2026, 0, 1)), auditSinks: { memory: (entry) => void entries.push(entry) } });
  const { rootToken } = await engine.initialize();
  const root = engine.client(rootToken);
  await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
  entries.length = 0;
  return { engine, root, entries, storage, [Symbol.asyncDispose]: () => engine.close() };
}

const seed = useEngineFixture();

describe("the request pipeline", () => {
  it("resolves Client.write to create, then update, and audits the resolved operation", async () => {
    await using fixture = await auditedEngine();
    const { root, entries } = fixture;
    await root.write("sys/policy/apps", { policy: 'path "x" { capabilities = ["read"] }' });
    await root.write("sys/policy/apps", { policy: 'path "y" { capabilities = ["read"] }' });
    expect(entries.map((e) => [e.type, e.request.operation])).toEqual([
      ["request", "create"],
      ["response", "create"],
      ["request", "update"],
      ["response", "update"],
    ]);
  });

  it("audits a Client.write refused before its operation is resolved, as an update", async () => {
    await using fixture = await auditedEngine();
    const { engine, entries } = fixture;
    await expect(engine.client("hvs.not-a-token").write("sys/policy/apps", { policy: "" })).rejects.toThrow(PermissionDeniedError);
    expect(entries.map((e) => [e.type, e.request.operation, e.error])).toEqual([
      ["request", "update", expect.stringMatching(/permission denied/)],
      ["response", "update", expect.stringMatching(/permission denied/)],
    ]);
    expect(entries[0]!.auth.accessor).toBeUndefined();
  });

  it("refuses a write to an unmounted path as permission denied without a token, not found with one, and audits both", async () => {
    await using fixture = await auditedEngine();
    const { engine, root, entries } = fixture;
    await expect(engine.client("hvs.not-a-token").write("nowhere/x", {})).rejects.toThrow(PermissionDeniedError);
    await expect(root.write("nowhere/x", {})).rejects.toThrow(NotFoundError);
    expect(entries.filter((e) => e.type === "response").map((e) => e.error)).toEqual([
      expect.stringMatching(/permission denied/),
      expect.stringMatching(/no handler for route/),
    ]);
  });

  it("looks the token up once per request, writes included", async () => {
    await using fixture = await auditedEngine();
    const { root, storage } = fixture;
    storage.tokenReads = 0;
    await root.write("sys/policy/apps", { policy: 'path "x" { capabilities = ["read"] }' });
    await root.read("sys/policy/apps");
    expect(storage.tokenReads).toBe(2);
  });

  it("checks sudo against the routed mount's root paths, after the policy allows the operation", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/no-sudo", { policy: 'path "sys/*" { capabilities = ["read", "list", "update"] }\npath "auth/token/*" { capabilities = ["list"] }' });
    const token = (await root.write("auth/token/create", { policies: ["no-sudo"] })).auth!.client_token;
    const client = engine.client(token);
    await expect(client.list("auth/token/accessors")).rejects.toThrow(/needs sudo/);
    await expect(client.read("sys/audit")).rejects.toThrow(/needs sudo/);
    await expect(client.read("sys/mounts")).resolves.toMatchObject({ data: { "database/": expect.any(Object) } });
    // Outside the policy: denied for the policy, before any mount or root path is looked at.
    await expect(client.read("database/creds/readonly")).rejects.toThrow(/permission denied: read on "database\/creds\/readonly"$/);
  });
});

describe("a denied request tells nothing about what exists", () => {
  /** The error a write by `client` to `path` is refused with, as the caller sees it. */
  async function refusal(write: () => Promise<unknown>) {
    const error = await write().then(
      () => expect.unreachable("the write was allowed"),
      (err: unknown) => err as PermissionDeniedError,
    );
    return { type: error.constructor.name, code: error.code, status: error.status, message: error.message };
  }

  it("refuses a write the same way before and after something exists at the path (role, policy)", async () => {
    const { root, engine } = await seed();
    await root.write("sys/policy/reader", { policy: 'path "database/*" { capabilities = ["read"] } path "sys/policy/*" { capabilities = ["read"] }' });
    const reader = engine.client((await root.write<never>("auth/token/create", { policies: ["reader"] })).auth!.client_token);
    for (const [path, body] of [
      ["database/roles/later", { db_name: "fake", creation_statements: "SELECT 1" }],
      ["sys/policy/later", { policy: 'path "x" { capabilities = ["read"] }' }],
    ] as const) {
      const before = await refusal(() => reader.write(path, body));
      await root.write(path, body);
      const after = await refusal(() => reader.write(path, body));
      expect(after).toEqual(before);
      expect(before).toEqual({ type: "PermissionDeniedError", code: "permission_denied", status: 403, message: `permission denied: write on "${path}"` });
    }
  });

  it("refuses a write the same way before and after a mount exists there", async () => {
    const { root, engine } = await seed();
    const nobody = engine.client((await root.write<never>("auth/token/create", { policies: ["default"] })).auth!.client_token);
    const before = await refusal(() => nobody.write("later/config/x", {}));
    await root.write("sys/mounts/later", { type: "database" });
    expect(await refusal(() => nobody.write("later/config/x", {}))).toEqual(before);
  });
});
