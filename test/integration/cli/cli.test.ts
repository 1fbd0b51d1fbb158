/**
 * The `vaultlet` CLI as an operator runs it (issue 22): a spawned process on a real
 * PostgresStorage while another engine serves the applications on it; and `vaultlet doctor`.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Engine, FileStorage, ManualClock, PostgresStorage } from "../../../src/index.js";
import { useTestDatabase } from "../../support/database.js";
import { openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";
import type { TestDatabase } from "../../support/database.js";

const db = useTestDatabase();
const repo = resolve(import.meta.dirname, "../../..");
const KEY = new Uint8Array(32).fill(9);
const scratch: string[] = [];
const serving: EngineFixture<TestDatabase>[] = [];
afterEach(async () => {
  for (const fixture of serving.splice(0)) await fixture.engine.close();
});
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `vaultlet …` as a user would: a process of its own, its environment, optional stdin. */
function vaultlet(args: string[], env: Record<string, string | undefined>, stdin = ""): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

/** An engine serving applications on a PostgresStorage table of its own, and the CLI's environment for it. */
async function servingEngine(table: string, clock?: ManualClock) {
  const fixture = await openEngineFixture({
    database: db,
    storage: new PostgresStorage({ connectionString: db.url, table }),
    atRest: { encryptionKey: KEY },
    revocation: { initialBackoffMs: 1000, maxAttempts: 2 },
    ...(clock ? { clock } : {}),
  });
  serving.push(fixture);
  const env = { VAULTLET_STORAGE: db.url, VAULTLET_STORAGE_TABLE: table, VAULTLET_ENCRYPTION_KEY: Buffer.from(KEY).toString("base64") };
  return { fixture, env };
}

describe("vaultlet CLI beside a serving engine on PostgresStorage", () => {
  it("revokes every credential of a role, with a progress line, and the serving engine and the database see it", { timeout: 60_000 }, async () => {
    const { fixture, env } = await servingEngine("cli_revoke");
    await fixture.root.write("database/config/postgresql", { allowed_roles: "readonly,slow" });
    await fixture.root.write("database/roles/slow", {
      db_name: "postgresql",
      creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`,
      revocation_statements: `SELECT pg_sleep(2.5); DROP ROLE IF EXISTS "{{name}}";`,
      default_ttl: "1h",
    });
    const issued = [await fixture.issue("readonly"), await fixture.issue("readonly"), await fixture.issue("slow")];
    const kept = await fixture.issue("readonly");

    const revoked = await vaultlet(["lease", "revoke", "-prefix", "database/creds/slow"], { ...env, VAULTLET_TOKEN: fixture.rootToken });
    expect(revoked).toMatchObject({ code: 0, stdout: "Success! Revoked any leases with prefix: database/creds/slow\n" });
    expect(revoked.stderr).toMatch(/^revoking database\/creds\/slow: 0 revoked, 0 failed so far \(2s\)$/m);
    const single = await vaultlet(["lease", "revoke", issued[0]!.leaseId], { ...env, VAULTLET_TOKEN: fixture.rootToken });
    expect(single).toMatchObject({ code: 0, stdout: `Success! Revoked lease: ${issued[0]!.leaseId}\n` });
    expect(await fixture.roleExists(issued[2]!.username)).toBe(false);
    expect(await fixture.roleExists(issued[0]!.username)).toBe(false);
    expect(await fixture.roleExists(issued[1]!.username)).toBe(true);
    await expect(fixture.root.write("sys/leases/lookup", { lease_id: issued[0]!.leaseId })).rejects.toThrow(/invalid lease|not found/i);

    const listed = await vaultlet(["list", "-format=json", "sys/leases/lookup/database/creds/readonly/"], { ...env, VAULTLET_TOKEN: fixture.rootToken });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as string[]).sort()).toEqual([issued[1]!.leaseId, kept.leaseId].map((id) => id.split("/").pop()).sort());
    // The lookup prints the lease, never the credential's password.
    const lookup = await vaultlet(["lease", "lookup", kept.leaseId], { ...env, VAULTLET_TOKEN: fixture.rootToken });
    expect(lookup.code).toBe(0);
    expect(lookup.stdout).toMatch(/^id\s+database\/creds\/readonly\//m);
    expect(lookup.stdout + lookup.stderr).not.toContain(kept.password);
  });

  it("applies the token's policies: a policy written by the CLI serves at once on the other engine, and a narrow token is refused with exit 1", { timeout: 60_000 }, async () => {
    const { fixture, env } = await servingEngine("cli_policy");
    const root = { ...env, VAULTLET_TOKEN: fixture.rootToken };
    const policy = 'path "database/creds/readonly" { capabilities = ["read"] }\n';
    expect(await vaultlet(["policy", "write", "reader", "-"], root, policy)).toMatchObject({ code: 0, stdout: "Success! Uploaded policy: reader\n" });
    const created = await vaultlet(["token", "create", "-policy=reader", "-ttl=10m", "-field=token"], root);
    expect(created.code).toBe(0);
    const narrow = created.stdout;
    expect(narrow).toMatch(/^\S+$/);
    // The serving engine honours the policy the CLI wrote (the change feed, or storage itself).
    const creds = await fixture.engine.client(narrow).read<{ username: string }>("database/creds/readonly");
    expect(await fixture.roleExists(creds.data!.username)).toBe(true);

    const refused = await vaultlet(["lease", "revoke", "-prefix", "database/"], { ...env, VAULTLET_TOKEN: narrow });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/permission denied/i);
    expect(refused.stderr).not.toContain(narrow);
    expect(await fixture.roleExists(creds.data!.username)).toBe(true);

    // The root token from stdin (never on the command line): the CLI reads it, and reads no data from stdin after.
    const mounts = await vaultlet(["secrets", "list", "-format=json", "-token-file=-"], env, `${fixture.rootToken}\n`);
    expect(mounts.code).toBe(0);
    expect(Object.keys(JSON.parse(mounts.stdout) as object)).toEqual(expect.arrayContaining(["database/", "sys/"]));
    const twice = await vaultlet(["policy", "write", "x", "-", "-token-file=-"], env, fixture.rootToken);
    expect(twice).toMatchObject({ code: 2, stderr: expect.stringMatching(/stdin already gave the token/) });
    const tuned = await vaultlet(["secrets", "tune", "-max-lease-ttl=2h", "database"], root);
    expect(tuned).toMatchObject({ code: 0, stdout: "Success! Tuned the secrets engine at: database/\n" });
    expect((await fixture.root.read<{ max_lease_ttl: number }>("sys/mounts/database/tune")).data!.max_lease_ttl).toBe(7200);
  });

  it("refuses what an operator must not do, with exit 2: a token on the command line, no token, a bad flag or format", { timeout: 60_000 }, async () => {
    const { fixture, env } = await servingEngine("cli_usage");
    const onArgv = await vaultlet(["read", `-token=${fixture.rootToken}`, "sys/mounts"], env);
    expect(onArgv).toMatchObject({ code: 2, stdout: "", stderr: expect.stringMatching(/-token is refused: a token on the command line is visible/) });
    expect(onArgv.stderr).not.toContain(fixture.rootToken);
    expect(await vaultlet(["read", "sys/mounts"], env)).toMatchObject({ code: 2, stderr: expect.stringMatching(/no token/) });
    expect(await vaultlet(["read", "-bogus", "sys/mounts"], { ...env, VAULTLET_TOKEN: fixture.rootToken })).toMatchObject({ code: 2, stderr: expect.stringMatching(/not defined: -bogus/) });
    expect(await vaultlet(["secrets", "list", "-format=yaml"], { ...env, VAULTLET_TOKEN: fixture.rootToken })).toMatchObject({ code: 2 });
    expect(await vaultlet(["token", "lookup", fixture.rootToken], { ...env, VAULTLET_TOKEN: fixture.rootToken })).toMatchObject({ code: 2 });
    expect(await vaultlet(["read", "database/roles/nothing"], { ...env, VAULTLET_TOKEN: fixture.rootToken })).toMatchObject({ code: 1, stderr: "No value found at database/roles/nothing\n" });
    expect(await vaultlet(["read", "sys/nothing"], { ...env, VAULTLET_TOKEN: fixture.rootToken })).toMatchObject({ code: 1, stderr: expect.stringMatching(/unsupported path/) });
  });
});

describe("vaultlet doctor", () => {
  it("says, in words, that another engine's clock is a minute ahead and that a lease could not be revoked; exit 1", { timeout: 60_000 }, async () => {
    const clock = new ManualClock(Date.now() + 60_000);
    const { fixture, env } = await servingEngine("cli_doctor", clock);
    await fixture.root.write("database/config/postgresql", { allowed_roles: "readonly,stuck" });
    await fixture.root.write("database/roles/stuck", {
      db_name: "postgresql",
      creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`,
      revocation_statements: `DO $$ BEGIN RAISE EXCEPTION 'refused'; END $$;`,
      default_ttl: "1h",
    });
    const stuck = await fixture.issue("stuck");
    await fixture.root.write("sys/leases/revoke", { lease_id: stuck.leaseId }).catch(() => undefined);
    await clock.advance("2s"); // the retry fails too: irrevocable
    await expect.poll(async () => (await fixture.root.write("sys/leases/lookup", { lease_id: stuck.leaseId })).data!.state).toBe("irrevocable");

    const doctor = await vaultlet(["doctor", "-format=json"], { ...env, VAULTLET_TOKEN: fixture.rootToken });
    expect(doctor.code).toBe(1);
    const checks = JSON.parse(doctor.stdout) as Array<{ check: string; status: string; message: string }>;
    const find = (name: string) => checks.find((check) => check.check === name);
    expect(find("encryption key")).toMatchObject({ status: "ok" });
    expect(find("storage privacy")).toMatchObject({ status: "ok", message: expect.stringMatching(/"vaultlet"\."cli_doctor"/) });
    expect(find("change feed")).toMatchObject({ status: "ok" });
    expect(find("clock skew")).toMatchObject({ status: "fail", message: expect.stringMatching(/clock is \d+ ms ahead of this machine's/) });
    expect(find("irrevocable leases")).toMatchObject({ status: "fail", message: expect.stringMatching(/^1 leases could not be revoked/) });
    expect(doctor.stdout).not.toContain(stuck.password);
  });

  it("says that the key does not open the records, and that a FileStorage folder is held by a running engine", { timeout: 60_000 }, async () => {
    const { env } = await servingEngine("cli_wrong_key");
    const wrong = await vaultlet(["doctor"], { ...env, VAULTLET_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64") });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/FAIL\s+encryption key\s+the key does not open the records/);

    const folder = await mkdtemp(join(tmpdir(), "vaultlet-cli-"));
    scratch.push(folder);
    const running = await Engine.open({ storage: new FileStorage({ path: join(folder, "store") }), encryptionKey: KEY });
    try {
      const held = await vaultlet(["status"], { VAULTLET_STORAGE: join(folder, "store"), VAULTLET_ENCRYPTION_KEY: env.VAULTLET_ENCRYPTION_KEY });
      expect(held.code).toBe(1);
      expect(held.stderr).toMatch(new RegExp(`in use by process ${process.pid}[\\s\\S]*one process at a time`));
    } finally {
      await running.close();
    }
  });
});
