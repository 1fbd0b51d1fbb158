/**
 * The mount table is one record per mount; a table stored as one `core/mounts` record (older
 * versions) is migrated on open; FileStorage (no change feed) opens and keeps mounts as before.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Engine, FileStorage, MemoryStorage, type Storage } from "../../src/index.js";
import { JsonStore } from "../../src/storage/json-store.js";
import { sealedForTest } from "../support/sealed-storage.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Rewrites the per-mount records as the single record older versions kept. */
async function toLegacyTable(storage: Storage): Promise<void> {
  const store = new JsonStore(storage);
  const keys = await store.list("core/mounts/");
  const entries = await store.getMany(keys);
  for (const key of keys) await store.delete(key);
  await store.put("core/mounts", entries);
}

async function withMounts(storage: Storage, paths: string[]): Promise<string> {
  const engine = await Engine.open({ storage });
  const { rootToken } = await engine.initialize();
  for (const path of paths) await engine.client(rootToken).write(`sys/mounts/${path}`, { type: "database", config: { max_lease_ttl: "2h" } });
  await engine.close();
  return rootToken;
}

describe("mount records", () => {
  it("stores one record per user mount, none for the built-in ones", async () => {
    const storage = new MemoryStorage();
    await withMounts(storage, ["db", "team/db"]);
    expect(await storage.list("core/mounts")).toEqual(["core/mounts/db", "core/mounts/team/db"]);
  });

  it("migrates a single core/mounts record on open, keeping every mount and its settings", async () => {
    const storage = new MemoryStorage();
    const rootToken = await withMounts(storage, ["db", "team/db"]);
    const before = await new JsonStore(storage).get<{ uuid: string }>("core/mounts/db");
    await toLegacyTable(storage);
    expect(await storage.list("core/mounts")).toEqual(["core/mounts"]);

    await using engine = await Engine.open({ storage });
    const { data } = await engine.client(rootToken).read<Record<string, { uuid: string; config: { max_lease_ttl: number } }>>("sys/mounts");
    expect(data!["db/"]!.uuid).toBe(before!.uuid);
    expect(data!["team/db/"]!.config.max_lease_ttl).toBe(7200);
    expect(await storage.list("core/mounts")).toEqual(["core/mounts/db", "core/mounts/team/db"]);
  });

  it("opens on FileStorage (single-process, no feed) and keeps mounts and tune across reopen, migrating too", async () => {
    const path = await mkdtemp(join(tmpdir(), "vaultlet-mounts-"));
    dirs.push(path);
    const rootToken = await withMounts(sealedForTest(new FileStorage({ path })), ["db"]);
    {
      await using engine = await Engine.open({ storage: sealedForTest(new FileStorage({ path })) });
      await engine.client(rootToken).write("sys/mounts/db/tune", { max_lease_ttl: "1h" });
      await engine.client(rootToken).write("sys/mounts/other", { type: "database" });
    }
    const legacy = sealedForTest(new FileStorage({ path }));
    await toLegacyTable(legacy);
    await legacy.close();
    await using engine = await Engine.open({ storage: sealedForTest(new FileStorage({ path })) });
    const { data } = await engine.client(rootToken).read<Record<string, { config: { max_lease_ttl: number } }>>("sys/mounts");
    expect(Object.keys(data!).sort()).toEqual(["auth/token/", "db/", "other/", "sys/"]);
    expect(data!["db/"]!.config.max_lease_ttl).toBe(3600);
  });
});
