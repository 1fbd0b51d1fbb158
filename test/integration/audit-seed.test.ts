/**
 * The audit log across the whole seed scenario, against a real PostgreSQL: every call has a
 * request and a response entry, no secret is readable in the file, and a device that cannot write
 * blocks requests before anything happens.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditFailedError, Engine, ManualClock, type AuditEntry, type Client } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { connectionConfigFor } from "../support/engine-fixture.js";

const db = useTestDatabase();

interface Creds {
  username: string;
  password: string;
}

let engine: Engine;
let clock: ManualClock;
let root: Client;
let rootToken: string;
let dir: string;

function connectionConfig() {
  return connectionConfigFor(db, "readonly,auditro");
}

async function roleCount(): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_roles WHERE rolname LIKE 'v-root-auditro-%'");
  return Number(rows[0]!.n);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vaultlet-audit-"));
  clock = new ManualClock();
  engine = await Engine.open({ clock });
  rootToken = (await engine.initialize()).rootToken;
  root = engine.client(rootToken);
});

afterEach(async () => {
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

describe("audit log of the seed scenario (real PostgreSQL)", () => {
  it("holds a request and a response entry for every call, and no token or password in clear", async () => {
    const file = join(dir, "audit.log");
    await root.write("sys/audit/file", { type: "file", options: { file_path: file } });
    let calls = 0;
    const call = <T>(promise: Promise<T>): Promise<T> => (calls++, promise);

    await call(root.write("sys/mounts/database", { type: "database" }));
    await call(root.write("database/config/postgresql", connectionConfig()));
    await call(root.write("database/roles/readonly", {
      db_name: "postgresql",
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      default_ttl: "1h",
      max_ttl: "24h",
    }));
    await call(root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' }));
    const { auth } = await call(root.write("auth/token/create", { policies: ["apps"] }));
    const apps = engine.client(auth!.client_token);
    const first = await call(apps.read<Creds>("database/creds/readonly"));
    const second = await call(apps.read<Creds>("database/creds/readonly"));
    const third = await call(apps.read<Creds>("database/creds/readonly"));
    await call(apps.write("sys/leases/renew", { lease_id: first.lease_id, increment: "1h" }));
    await call(root.write("sys/leases/lookup", { lease_id: first.lease_id }));
    await call(root.write("sys/leases/revoke", { lease_id: first.lease_id }));
    await call(root.write("sys/leases/revoke-prefix/database/creds/readonly", {}));
    await expect(call(apps.read("sys/mounts"))).rejects.toThrow(/permission denied/);
    await call(root.write("auth/token/revoke", { token: auth!.client_token }));
    const hashed = await call(root.write("sys/audit-hash/file", { input: second.data!.password }));

    const text = await readFile(file, "utf8");
    const entries = text.trim().split("\n").map((line) => JSON.parse(line) as AuditEntry);
    const requests = entries.filter((e) => e.type === "request");
    const responses = entries.filter((e) => e.type === "response");
    expect(requests).toHaveLength(calls);
    expect(responses).toHaveLength(calls);
    expect(new Set(requests.map((e) => e.request.id))).toEqual(new Set(responses.map((e) => e.request.id)));
    expect(responses.find((e) => e.request.id === first.request_id)).toMatchObject({
      auth: { display_name: "token", policies: ["apps", "default"] },
      request: { operation: "read", path: "database/creds/readonly" },
      response: { secret: { lease_id: first.lease_id } },
    });
    expect(responses.find((e) => e.request.path === "sys/mounts")).toMatchObject({ error: expect.stringMatching(/permission denied/) });

    const secrets = [rootToken, auth!.client_token, db.password, ...[first, second, third].map((c) => c.data!.password)];
    for (const secret of secrets) expect(text.includes(secret), "a secret is readable in the audit log").toBe(false);

    const recorded = responses.find((e) => e.request.id === second.request_id)!.response!.data!.password;
    expect(recorded).toBe(hashed.data!.hash);
    expect(text).toContain(hashed.data!.hash as string);
  });

  it("a file device that cannot write blocks requests: no database user, no lease", async () => {
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/postgresql", connectionConfig());
    await root.write("database/roles/auditro", { db_name: "postgresql", creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}';` });
    if (!existsSync("/dev/full")) return; // Linux only: /dev/full fails every write with ENOSPC.
    await root.write("sys/audit/full", { type: "file", options: { file_path: "/dev/full" } });
    const before = await roleCount();
    await expect(root.read("database/creds/auditro")).rejects.toBeInstanceOf(AuditFailedError);
    expect(await roleCount()).toBe(before);
  });

  it("a failing stream sink blocks creds: no database user and no lease until it records again", async () => {
    let failing = false;
    await engine.close();
    engine = await Engine.open({ clock, auditSinks: { siem: () => (failing ? Promise.reject(new Error("SIEM unreachable")) : undefined) } });
    root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/postgresql", connectionConfig());
    await root.write("database/roles/auditro", { db_name: "postgresql", creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}';` });
    await root.write("sys/audit/siem", { type: "stream", options: { sink: "siem" } });
    const before = await roleCount();
    failing = true;
    await expect(root.read("database/creds/auditro")).rejects.toMatchObject({ code: "audit_failed", status: 500 });
    failing = false;
    expect(await roleCount()).toBe(before);
    await expect(root.list("sys/leases/lookup/database/creds/auditro")).rejects.toMatchObject({ code: "not_found" });
  });
});
