/**
 * Engine state lives in storage: an engine reopened on the same FileStorage or PostgresStorage gets
 * back mounts, connection configs, roles, policies, tokens and leases, and keeps revoking on time.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Engine, FileStorage, ManualClock, PostgresStorage, type Storage } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { roleExists, openEngineFixture } from "../support/engine-fixture.js";
import { sealedForTest } from "../support/sealed-storage.js";

const db = useTestDatabase();
const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((path) => rm(path, { recursive: true, force: true })));
});

const backends: Array<[string, () => Promise<() => Storage>]> = [
  [
    "FileStorage",
    async () => {
      const path = await mkdtemp(join(tmpdir(), "vaultlet-persist-"));
      directories.push(path);
      return () => sealedForTest(new FileStorage({ path }));
    },
  ],
  [
    "PostgresStorage",
    async () => {
      const table = `persist_${Date.now()}`;
      return () => sealedForTest(new PostgresStorage({ connectionString: db.url, table }));
    },
  ],
];

describe.each(backends)("reopening an engine on %s", (_name, makeStorage) => {
  it("brings back mounts, configs, roles, policies, tokens and leases, and revokes on time", async () => {
    const storageFor = await makeStorage();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const first = await openEngineFixture({ database: db, storage: storageFor(), clock });
    await first.root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
    const { auth } = await first.root.write("auth/token/create", { policies: ["apps"], ttl: "8h" });
    const creds = await first.engine.client(auth!.client_token).read<{ username: string }>("database/creds/readonly");
    await first.engine.close();

    const engine = await Engine.open({ storage: storageFor(), clock });
    try {
      expect(engine.initialized).toBe(true);
      const root = engine.client(first.rootToken);
      expect(Object.keys((await root.read("sys/mounts")).data!)).toContain("database/");
      expect((await root.read("database/config/postgresql")).data).toMatchObject({ plugin_name: "postgresql-database-plugin" });
      expect((await root.read("database/roles/readonly")).data).toMatchObject({ default_ttl: 3600 });
      expect((await root.read("sys/policy/apps")).data).toMatchObject({ name: "apps" });
      const app = engine.client(auth!.client_token);
      const second = await app.read<{ username: string }>("database/creds/readonly");
      expect(await roleExists(db, second.data!.username)).toBe(true);
      expect((await root.write("sys/leases/lookup", { lease_id: creds.lease_id })).data).toMatchObject({ id: creds.lease_id });

      await engine.leasesRestored(); // scheduled from storage before the clock moves
      await clock.advance("61m");
      expect(await roleExists(db, creds.data!.username)).toBe(false);
      expect(await roleExists(db, second.data!.username)).toBe(false);
      await expect(root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toMatchObject({ code: "lease_not_found" });
    } finally {
      await engine.close();
    }
  });
});
