import { describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileReadCache, READ_CACHE_ENTRIES } from "../../../src/storage/file/read-cache.js";
import { FileStorage } from "../../../src/index.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("FileReadCache", () => {
  it("keeps what a read found, a missing record as null, and hands out copies", () => {
    const cache = new FileReadCache();
    cache.fill(cache.begin("a"), bytes("1"));
    cache.fill(cache.begin("gone"), undefined);
    const first = cache.get("a")!;
    first[0] = 0;
    expect(cache.get("a")).toEqual(bytes("1"));
    expect(cache.get("gone")).toBeNull();
    expect(cache.get("never")).toBeUndefined();
  });

  it("never keeps the value a write replaced, when the read that found it began before the write", () => {
    const cache = new FileReadCache();
    const ticket = cache.begin("token");
    cache.written("token", bytes("new"));
    cache.fill(ticket, bytes("old")); // the read saw the file before the rename
    expect(cache.get("token")).toEqual(bytes("new"));
    const another = cache.begin("token");
    cache.forget("token"); // a write that failed part-way
    cache.fill(another, bytes("new"));
    expect(cache.get("token")).toBeUndefined();
  });

  it("holds at most READ_CACHE_ENTRIES records, dropping the least recently used", () => {
    const cache = new FileReadCache();
    for (let i = 0; i <= READ_CACHE_ENTRIES; i++) cache.written(`k${i}`, bytes(String(i)));
    expect(cache.get("k0")).toBeUndefined();
    expect(cache.get(`k${READ_CACHE_ENTRIES}`)).toEqual(bytes(String(READ_CACHE_ENTRIES)));
  });
});

describe("FileStorage read cache", () => {
  it("is shared by the instances of one process on a directory: a write through one is read through the other", async () => {
    const path = await mkdtemp(join(tmpdir(), "vaultlet-cache-"));
    const one = new FileStorage({ path });
    const other = new FileStorage({ path });
    try {
      expect(await other.get("sys/token/id/abc")).toBeUndefined(); // cached as missing
      await one.put("sys/token/id/abc", bytes("entry"));
      expect(await other.get("sys/token/id/abc")).toEqual(bytes("entry"));
      await one.delete("sys/token/id/abc");
      expect(await other.get("sys/token/id/abc")).toBeUndefined();
    } finally {
      await one.close();
      await other.close();
      await rm(path, { recursive: true, force: true });
    }
  });

  it("reads from the file again after the directory is released and taken anew", async () => {
    const path = await mkdtemp(join(tmpdir(), "vaultlet-cache-"));
    const storage = new FileStorage({ path });
    await storage.put("config/a", bytes("1"));
    expect(await storage.get("config/a")).toEqual(bytes("1"));
    await storage.close();
    // Between two holds the directory is anyone's: a restore from a backup, say.
    const data = join(path, (await readdir(path)).find((name) => name.startsWith("data"))!);
    const folder = join(data, (await readdir(data)).find((name) => name.startsWith("config"))!);
    await writeFile(join(folder, (await readdir(folder))[0]!), bytes("2"));
    const again = new FileStorage({ path });
    try {
      expect(await again.get("config/a")).toEqual(bytes("2"));
    } finally {
      await again.close();
      await rm(path, { recursive: true, force: true });
    }
  });
});
