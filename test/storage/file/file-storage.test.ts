import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FileStorage, InvalidRequestError, StorageError } from "../../../src/index.js";
import { storageContract } from "../../../src/testing/index.js";

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
      await first.close();
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

  it("keeps a second process out of the directory, and takes over the lock of a killed one", { timeout: 30_000 }, async () => {
    const path = await mkdtemp(join(tmpdir(), "vaultlet-file-"));
    const script = fileURLToPath(new URL("../../support/engine-process.ts", import.meta.url));
    const child = fork(script, {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, VAULTLET_CHILD: JSON.stringify({ mode: "serve", storage: { kind: "file", path } }) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    try {
      await new Promise((resolve, reject) => (child.once("message", resolve), child.once("exit", reject)));
      const intruder = new FileStorage({ path });
      await expect(intruder.list("")).rejects.toThrow(StorageError);
      await expect(intruder.list("")).rejects.toThrow(/in use by process \d+/);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
      const successor = new FileStorage({ path });
      await successor.put("probe", new Uint8Array([1]));
      expect(await successor.get("probe")).toEqual(new Uint8Array([1]));
      await successor.close();
    } finally {
      child.kill("SIGKILL");
      await rm(path, { recursive: true, force: true });
    }
  });

  it("instances in one process share the directory and its record log", async () => {
    const path = await mkdtemp(join(tmpdir(), "vaultlet-file-"));
    try {
      const a = new FileStorage({ path });
      const b = new FileStorage({ path });
      await a.put("sys/expire/id/x", new TextEncoder().encode("1"));
      await b.put("sys/expire/id/y", new TextEncoder().encode("2"));
      expect(await a.list("sys/expire/")).toEqual(["sys/expire/id/x", "sys/expire/id/y"]);
      await a.close();
      expect(await b.get("sys/expire/id/x")).toEqual(new TextEncoder().encode("1"));
      await b.close();
      const c = new FileStorage({ path });
      expect(await c.list("sys/")).toEqual(["sys/expire/id/x", "sys/expire/id/y"]);
      await c.close();
    } finally {
      await rm(path, { recursive: true, force: true });
    }
  });
});
