import { appendFile, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RecordLog } from "../../../src/storage/file/record-log.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));
const directories: string[] = [];
afterEach(async () => {
  await Promise.all(directories.splice(0).map((path) => rm(path, { recursive: true, force: true })));
});
async function logPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vaultlet-log-"));
  directories.push(dir);
  return join(dir, "packed.log");
}

/** A spy on a method of node's `FileHandle` (whose class is reached through a handle on `path`). */
async function spyOnFileHandle(path: string, method: "read" | "datasync") {
  const handle = await open(path, "r");
  const prototype = Object.getPrototypeOf(handle) as Record<"read" | "datasync", () => Promise<unknown>>;
  await handle.close();
  return vi.spyOn(prototype, method);
}

describe("RecordLog", () => {
  it("replays puts and deletes in order after a reopen", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    await log.put("a", bytes("1"));
    await log.put("b", bytes("2"));
    await log.put("a", bytes("3"));
    await log.delete("b");
    await log.close();
    const again = await RecordLog.open(path);
    expect([...again.keys()]).toEqual(["a"]);
    expect(text(await again.get("a"))).toBe("3");
    await again.close();
  });

  it("concurrent writers share fsyncs (group commit), each resolving once its writes are durable", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    const datasync = await spyOnFileHandle(path, "datasync");
    try {
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => log.put(`k${i}`, bytes(String(i)))),
        log.writeInOrder([["k0", undefined], ["k0", bytes("again")], ["gone", undefined]]),
        log.delete("k19"),
      ]);
      // The first write appends alone; everything that arrived during its fsync goes in the next.
      expect(datasync.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      datasync.mockRestore();
    }
    await log.close();
    const again = await RecordLog.open(path);
    expect(text(await again.get("k0"))).toBe("again");
    expect(text(await again.get("k7"))).toBe("7");
    expect(again.has("k19")).toBe(false);
    expect(again.has("gone")).toBe(false);
    await again.close();
  });

  it("a writer whose key is too long fails alone; the others sharing its append are written", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    const results = await Promise.allSettled([log.put("a", bytes("1")), log.put("x".repeat(70_000), bytes("2")), log.put("b", bytes("3"))]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(text(await log.get("b"))).toBe("3");
    await log.close();
  });

  it("writeInOrder appends puts and deletions in one write, replayed in order after a reopen", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    await log.put("gone", bytes("x"));
    await log.writeInOrder([
      ["index", bytes("")],
      ["lease", bytes("pending")],
      ["gone", undefined],
      ["never-there", undefined],
    ]);
    expect([...log.keys()].sort()).toEqual(["index", "lease"]);
    await log.writeInOrder([["lease", undefined], ["index", undefined]]);
    await log.writeInOrder([["again", bytes("1")]]);
    await log.close();
    const again = await RecordLog.open(path);
    expect([...again.keys()]).toEqual(["again"]);
    await again.close();
  });

  it("a batch torn mid-write keeps only the frames before the tear (a prefix, in order)", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    await log.writeInOrder([
      ["first", bytes("entry")],
      ["second", bytes("the record")],
    ]);
    await log.close();
    const whole = await readFile(path);
    await writeFile(path, whole.subarray(0, whole.length - 3)); // the crash tore the second frame
    const again = await RecordLog.open(path);
    expect([...again.keys()]).toEqual(["first"]);
    await again.close();
  });

  it("cuts off a torn frame at the end (a crash mid-append) and keeps appending after it", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    await log.put("kept", bytes("yes"));
    await log.close();
    const good = (await stat(path)).size;
    const whole = await readFile(path);
    await appendFile(path, whole.subarray(0, whole.length - 2)); // a second frame, torn
    const again = await RecordLog.open(path);
    expect((await stat(path)).size).toBe(good);
    await again.put("after", bytes("ok"));
    await again.close();
    const third = await RecordLog.open(path);
    expect(text(await third.get("kept"))).toBe("yes");
    expect(text(await third.get("after"))).toBe("ok");
    await third.close();
  });

  it("stops at a frame whose checksum does not match", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    await log.put("first", bytes("1"));
    await log.put("second", bytes("2"));
    await log.close();
    const data = await readFile(path);
    data[data.length - 1]! ^= 0xff; // flip a bit in the second frame's value
    await writeFile(path, data);
    const again = await RecordLog.open(path);
    expect([...again.keys()]).toEqual(["first"]);
    await again.close();
  });

  it("compacts when dead records dominate, without losing live ones", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    const big = new Uint8Array(10_000).fill(7);
    for (let round = 0; round < 150; round++) await log.put(`churn/${round % 5}`, big);
    await log.put("small", bytes("s"));
    expect((await stat(path)).size).toBeLessThan(1 << 20);
    expect(text(await log.get("small"))).toBe("s");
    expect((await log.get("churn/3"))!.length).toBe(10_000);
    await log.close();
    const again = await RecordLog.open(path);
    expect([...again.keys()].sort()).toEqual(["churn/0", "churn/1", "churn/2", "churn/3", "churn/4", "small"]);
    await again.close();
  });

  it("putMany appends a batch that reads back and survives a reopen", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    await log.put("before", bytes("0"));
    await log.putMany([["x/1", bytes("one")], ["x/2", bytes("two")], ["before", bytes("replaced")]]);
    expect(text(await log.get("x/2"))).toBe("two");
    await log.close();
    const again = await RecordLog.open(path);
    expect([...again.keys()].sort()).toEqual(["before", "x/1", "x/2"]);
    expect(text(await again.get("before"))).toBe("replaced");
    await again.close();
  });

  it("getMany returns values in the order asked, reading neighbours together", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    for (let i = 0; i < 50; i++) await log.put(`k/${i}`, bytes(`v${i}`));
    await log.delete("k/7");
    await log.put("k/3", bytes("v3b"));
    const values = await log.getMany(["k/49", "k/7", "k/3", "missing", "k/0", "k/49"]);
    expect(values.map(text)).toEqual(["v49", undefined, "v3b", undefined, "v0", "v49"]);
    await log.close();
  });

  it("reads back a value it just wrote without reading the file, and never a value since replaced", async () => {
    const path = await logPath();
    const log = await RecordLog.open(path);
    const read = await spyOnFileHandle(path, "read");
    try {
      const written = bytes("lease-pending");
      await log.writeInOrder([["lease/1", written], ["index/1", bytes("")]]);
      written.fill(0); // the caller's buffer is its own: what the log keeps is a copy
      read.mockClear();
      const first = await log.get("lease/1");
      expect(text(first)).toBe("lease-pending");
      expect(read).not.toHaveBeenCalled();
      first!.fill(0); // nor can a reader change what the next one gets
      expect(text(await log.get("lease/1"))).toBe("lease-pending");

      await log.putMany([["lease/1", bytes("imported")]]); // a bulk write keeps nothing: the key is read from the file
      expect(text(await log.get("lease/1"))).toBe("imported");
      expect(read).toHaveBeenCalled();
      await log.put("lease/1", bytes("active"));
      await log.delete("index/1");
      expect(text(await log.get("lease/1"))).toBe("active");
      expect(await log.get("index/1")).toBeUndefined();
      const large = new Uint8Array(20_000).fill(9); // too large to keep: read from the file, whole
      await log.put("large", large);
      read.mockClear();
      expect(await log.get("large")).toEqual(large);
      expect(read).toHaveBeenCalled();
    } finally {
      read.mockRestore();
      await log.close();
    }
  });
});
