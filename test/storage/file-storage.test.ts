import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStorage, InvalidRequestError } from "../../src/index.js";
import { storageContract } from "./storage-contract.js";

storageContract("FileStorage", async () => {
  const path = await mkdtemp(join(tmpdir(), "vaultlet-file-"));
  return {
    storage: new FileStorage({ path }),
    reopen: () => new FileStorage({ path }),
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
});

storageContract("FileStorage, every key in the record log", async () => {
  const path = await mkdtemp(join(tmpdir(), "vaultlet-file-"));
  return {
    storage: new FileStorage({ path, packedPrefixes: [""] }),
    reopen: () => new FileStorage({ path, packedPrefixes: [""] }),
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
});

storageContract("FileStorage, split between files and the record log", async () => {
  const path = await mkdtemp(join(tmpdir(), "vaultlet-file-"));
  const packedPrefixes = ["b/1", "k/MiXeD", "lease/"];
  return {
    storage: new FileStorage({ path, packedPrefixes }),
    reopen: () => new FileStorage({ path, packedPrefixes }),
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
});

describe("FileStorage", () => {
  it("removes temporary files a crash left behind and ignores files it did not write", async () => {
    const path = await mkdtemp(join(tmpdir(), "vaultlet-file-"));
    try {
      const first = new FileStorage({ path });
      await first.put("a/b", new TextEncoder().encode("x"));
      await writeFile(join(path, "tmp", "deadbeef.t"), "half-written");
      await writeFile(join(path, "data", "README"), "not a record");
      const second = new FileStorage({ path });
      expect(await second.list("")).toEqual(["a/b"]);
      expect(await readdir(join(path, "tmp"))).toEqual([]);
    } finally {
      await rm(path, { recursive: true, force: true });
    }
  });

  it("rejects a key segment too long for a file name with a typed error", async () => {
    const path = await mkdtemp(join(tmpdir(), "vaultlet-file-"));
    try {
      const storage = new FileStorage({ path });
      await expect(storage.put(`a/${"x".repeat(300)}`, new Uint8Array())).rejects.toBeInstanceOf(InvalidRequestError);
      expect(() => new FileStorage({ path: "" })).toThrow(InvalidRequestError);
    } finally {
      await rm(path, { recursive: true, force: true });
    }
  });
});
