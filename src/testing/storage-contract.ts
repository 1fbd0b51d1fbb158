/**
 * The `Storage` contract: one suite every backend runs in a few lines (vaultlet's own, and any a
 * user writes; import it from `vaultlet/testing`).
 *
 * ```ts
 * import { storageContract } from "vaultlet/testing";
 *
 * storageContract("FileStorage", async () => {
 *   const path = await mkdtemp(join(tmpdir(), "vaultlet-"));
 *   return { storage: new FileStorage({ path }), reopen: () => new FileStorage({ path }) };
 * });
 * ```
 *
 * @module
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Storage } from "../storage/storage.js";
import { atomicUpdate, UNCHANGED } from "../storage/atomic-update.js";

/** What a backend hands the suite for one test. */
export interface StorageContractSubject {
  storage: Storage;
  /** A second storage over the same data (a restart): enables the durability tests. */
  reopen?: () => Storage;
  /** Removes what the test created (a directory, a table). */
  cleanup?: () => Promise<void>;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));

/** Keys that a naive encoding (file names, LIKE patterns) would get wrong. */
const AWKWARD_KEYS = [
  "plain",
  "UPPER",
  "upper",
  "MiXeD/Case",
  "with space/and%percent",
  "caret^and_underscore",
  "dots/./..",
  "dots/...",
  "a//double",
  "trailing/",
  "unicode/ключ/鍵/🔑",
  "like/%_wildcards",
  "quote'and\"double",
];

/** Registers the contract tests for a backend; `subject` is called once per test. */
export function storageContract(name: string, subject: () => Promise<StorageContractSubject>): void {
  describe(`Storage contract: ${name}`, () => {
    const opened: StorageContractSubject[] = [];
    const open = async () => {
      const made = await subject();
      opened.push(made);
      return made;
    };
    afterEach(async () => {
      for (const made of opened.splice(0)) {
        await made.storage.close?.();
        await made.cleanup?.();
      }
    });

    it("get of a missing key is undefined", async () => {
      const { storage } = await open();
      expect(await storage.get("missing/key")).toBeUndefined();
    });

    it("put then get returns the same bytes, every byte value included", async () => {
      const { storage } = await open();
      const all = new Uint8Array(256).map((_, i) => i);
      await storage.put("binary", all);
      await storage.put("empty", new Uint8Array());
      expect(Buffer.from((await storage.get("binary"))!)).toEqual(Buffer.from(all));
      expect((await storage.get("empty"))!.byteLength).toBe(0);
    });

    it("put replaces the previous value", async () => {
      const { storage } = await open();
      await storage.put("k", bytes("one"));
      await storage.put("k", bytes("two"));
      expect(text(await storage.get("k"))).toBe("two");
    });

    it("values are copies: mutating what was put or got changes nothing stored", async () => {
      const { storage } = await open();
      const value = bytes("abc");
      await storage.put("k", value);
      value[0] = 0x7a;
      const got = (await storage.get("k"))!;
      got[1] = 0x7a;
      expect(text(await storage.get("k"))).toBe("abc");
    });

    it("delete removes a key, and deleting a missing key is not an error", async () => {
      const { storage } = await open();
      await storage.put("a/b", bytes("x"));
      await storage.delete("a/b");
      await storage.delete("a/b");
      await storage.delete("never/was");
      expect(await storage.get("a/b")).toBeUndefined();
      expect(await storage.list("a/")).toEqual([]);
    });

    it("list returns full keys under a prefix in ascending order, and nothing else", async () => {
      const { storage } = await open();
      for (const key of ["b/2", "a/1", "b/10", "b/1", "ba/1", "c", "b/sub/x"]) await storage.put(key, bytes(key));
      expect(await storage.list("b/")).toEqual(["b/1", "b/10", "b/2", "b/sub/x"]);
      expect(await storage.list("b")).toEqual(["b/1", "b/10", "b/2", "b/sub/x", "ba/1"]);
      expect(await storage.list("b/1")).toEqual(["b/1", "b/10"]);
      expect(await storage.list("")).toEqual(["a/1", "b/1", "b/10", "b/2", "b/sub/x", "ba/1", "c"]);
      expect(await storage.list("zzz")).toEqual([]);
    });

    it("a key and the same key followed by / and more can both exist", async () => {
      const { storage } = await open();
      await storage.put("node", bytes("leaf"));
      await storage.put("node/child", bytes("child"));
      expect(text(await storage.get("node"))).toBe("leaf");
      expect(text(await storage.get("node/child"))).toBe("child");
      expect(await storage.list("node")).toEqual(["node", "node/child"]);
    });

    it("awkward keys (case, dots, %, _, unicode, empty segments) round-trip and list exactly", async () => {
      const { storage } = await open();
      for (const key of AWKWARD_KEYS) await storage.put(`k/${key}`, bytes(key));
      for (const key of AWKWARD_KEYS) expect(text(await storage.get(`k/${key}`))).toBe(key);
      expect(await storage.list("k/")).toEqual(AWKWARD_KEYS.map((key) => `k/${key}`).sort());
      expect(await storage.list("k/like/%")).toEqual(["k/like/%_wildcards"]);
      expect(await storage.list("k/upper")).toEqual(["k/upper"]);
    });

    it("concurrent puts of different keys all land", async () => {
      const { storage } = await open();
      const keys = Array.from({ length: 50 }, (_, i) => `many/${String(i).padStart(3, "0")}`);
      await Promise.all(keys.map((key) => storage.put(key, bytes(key))));
      expect(await storage.list("many/")).toEqual(keys);
    });

    it("data survives reopening the storage", async (context) => {
      const made = await open();
      if (!made.reopen) return context.skip();
      await made.storage.put("durable/one", bytes("1"));
      await made.storage.put("durable/two", bytes("2"));
      await made.storage.delete("durable/two");
      await made.storage.close?.();
      const again = made.reopen();
      opened.push({ storage: again });
      expect(text(await again.get("durable/one"))).toBe("1");
      expect(await again.list("durable/")).toEqual(["durable/one"]);
    });

    it("getMany (optional capability) returns values in the order asked, undefined for missing keys", async (context) => {
      const { storage } = await open();
      if (!storage.getMany) return context.skip();
      await storage.put("m/a", bytes("A"));
      await storage.put("m/b", bytes("B"));
      const values = await storage.getMany(["m/b", "m/missing", "m/a", "m/b"]);
      expect(values.map(text)).toEqual(["B", undefined, "A", "B"]);
      expect(await storage.getMany([])).toEqual([]);
    });

    it("deleteMany (optional capability) removes exactly the keys given; missing ones are fine", async (context) => {
      const { storage } = await open();
      if (!storage.deleteMany) return context.skip();
      for (const key of ["dm/a", "dm/b", "dm/c"]) await storage.put(key, bytes(key));
      await storage.deleteMany(["dm/a", "dm/missing", "dm/c", "dm/a"]);
      expect(await storage.list("dm/")).toEqual(["dm/b"]);
      expect(text(await storage.get("dm/b"))).toBe("dm/b");
      await storage.deleteMany([]);
      expect(await storage.list("dm/")).toEqual(["dm/b"]);
    });

    describe("compareAndSwap (optional capability)", () => {
      it("creates only when absent, replaces only the expected value, deletes only the expected value", async (context) => {
        const { storage } = await open();
        if (!storage.compareAndSwap) return context.skip();
        expect(await storage.compareAndSwap("cas/k", undefined, bytes("one"))).toBe(true);
        expect(await storage.compareAndSwap("cas/k", undefined, bytes("again"))).toBe(false);
        expect(await storage.compareAndSwap("cas/k", bytes("two"), bytes("three"))).toBe(false);
        expect(text(await storage.get("cas/k"))).toBe("one");
        expect(await storage.compareAndSwap("cas/k", bytes("one"), bytes("two"))).toBe(true);
        expect(text(await storage.get("cas/k"))).toBe("two");
        expect(await storage.compareAndSwap("cas/k", bytes("one"), undefined)).toBe(false);
        expect(await storage.compareAndSwap("cas/k", bytes("two"), undefined)).toBe(true);
        expect(await storage.get("cas/k")).toBeUndefined();
        expect(await storage.compareAndSwap("cas/k", bytes("two"), bytes("x"))).toBe(false);
        expect(await storage.get("cas/k")).toBeUndefined();
      });

      it("of many concurrent swaps from the same value, exactly one wins", async (context) => {
        const made = await open();
        if (!made.storage.compareAndSwap) return context.skip();
        const second = made.reopen?.() ?? made.storage;
        await made.storage.put("cas/race", bytes("start"));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? second : made.storage).compareAndSwap!("cas/race", bytes("start"), bytes(`w${i}`))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(text(await made.storage.get("cas/race"))).toBe(`w${winner}`);
        if (second !== made.storage) await second.close?.();
      });
    });

    it("batch (optional capability) writes and deletes every key given", async (context) => {
      const { storage } = await open();
      if (!storage.batch) return context.skip();
      await storage.put("batch/old", bytes("gone soon"));
      await storage.put("batch/kept", bytes("v1"));
      await storage.batch([
        { key: "batch/a", value: bytes("A") },
        { key: "batch/kept", value: bytes("v2") },
        { key: "batch/old", value: undefined },
        { key: "batch/missing", value: undefined },
      ]);
      expect(await storage.list("batch/")).toEqual(["batch/a", "batch/kept"]);
      expect(text(await storage.get("batch/a"))).toBe("A");
      expect(text(await storage.get("batch/kept"))).toBe("v2");
      await storage.batch([]);
    });

    it("batch with options sets due times; without, keeps them", async (context) => {
      const { storage } = await open();
      if (!storage.batch || !storage.claimDue) return context.skip();
      await storage.put("lease/kept", bytes("v1"), { dueAt: 100 });
      await storage.batch([
        { key: "lease/kept", value: bytes("v2") },
        { key: "lease/new", value: bytes("n"), options: { dueAt: 150 } },
        { key: "lease/never", value: bytes("x"), options: {} },
      ]);
      const claimed = await storage.claimDue({ prefix: "lease/", now: 200, limit: 10, claimMs: 1000, owner: "p" });
      expect(claimed.sort()).toEqual(["lease/kept", "lease/new"]);
    });

    it("compareAndSwapIfPresent (optional capability) swaps only while every required key exists", async (context) => {
      const { storage } = await open();
      if (!storage.compareAndSwapIfPresent) return context.skip();
      await storage.put("cond/token", bytes("t"));
      await storage.put("cond/lease", bytes("pending"));
      expect(await storage.compareAndSwapIfPresent("cond/lease", bytes("pending"), bytes("active"), ["cond/token", "cond/other"])).toBe(false);
      expect(text(await storage.get("cond/lease"))).toBe("pending");
      expect(await storage.compareAndSwapIfPresent("cond/lease", bytes("wrong"), bytes("active"), ["cond/token"])).toBe(false);
      expect(await storage.compareAndSwapIfPresent("cond/lease", bytes("pending"), bytes("active"), ["cond/token"], { dueAt: 10 })).toBe(true);
      expect(text(await storage.get("cond/lease"))).toBe("active");
      await storage.delete("cond/token");
      expect(await storage.compareAndSwapIfPresent("cond/lease", bytes("active"), bytes("again"), ["cond/token"])).toBe(false);
      expect(text(await storage.get("cond/lease"))).toBe("active");
    });

    it("atomicUpdate loses no concurrent update, through one instance or two over the same data", async () => {
      const made = await open();
      const second = made.reopen?.() ?? made.storage;
      const increment = (storage: Storage) =>
        atomicUpdate(storage, "counter", (current) => bytes(String(Number(text(current) ?? "0") + 1)));
      await Promise.all(Array.from({ length: 30 }, (_, i) => increment(i % 2 ? second : made.storage)));
      expect(text(await made.storage.get("counter"))).toBe("30");
      const unchanged = await atomicUpdate(made.storage, "counter", () => UNCHANGED);
      expect(text(unchanged.previous)).toBe("30");
      await atomicUpdate(made.storage, "counter", () => undefined);
      expect(await made.storage.get("counter")).toBeUndefined();
      if (second !== made.storage) await second.close?.();
    });

    describe("claimDue (optional capability)", () => {
      const claim = (storage: Storage, now: number, owner = "p1", limit = 100) =>
        storage.claimDue!({ prefix: "lease/", now, limit, claimMs: 1000, owner });

      it("claims only due keys under the prefix, soonest first", async (context) => {
        const { storage } = await open();
        if (!storage.claimDue) return context.skip();
        await storage.put("lease/late", bytes("x"), { dueAt: 500 });
        await storage.put("lease/early", bytes("x"), { dueAt: 100 });
        await storage.put("lease/never", bytes("x"));
        await storage.put("other/due", bytes("x"), { dueAt: 100 });
        expect(await claim(storage, 200)).toEqual(["lease/early"]);
        expect(await claim(storage, 600)).toEqual(["lease/late"]);
      });

      it("a claimed key is not claimed again until the claim runs out or the key is written", async (context) => {
        const { storage } = await open();
        if (!storage.claimDue) return context.skip();
        await storage.put("lease/a", bytes("x"), { dueAt: 100 });
        expect(await claim(storage, 200, "p1")).toEqual(["lease/a"]);
        expect(await claim(storage, 300, "p2")).toEqual([]);
        expect(await claim(storage, 1200, "p2")).toEqual(["lease/a"]); // p1's claim ran out (it died)
        await storage.put("lease/a", bytes("retry"), { dueAt: 1300 });
        expect(await claim(storage, 1250, "p3")).toEqual([]);
        expect(await claim(storage, 1300, "p3")).toEqual(["lease/a"]);
        await storage.delete("lease/a");
        expect(await claim(storage, 9999, "p4")).toEqual([]);
      });

      it("a put without options keeps the due time (re-encryption), a put with options replaces it", async (context) => {
        const { storage } = await open();
        if (!storage.claimDue) return context.skip();
        await storage.put("lease/a", bytes("v1"), { dueAt: 100 });
        await storage.put("lease/a", bytes("v2"));
        await storage.put("lease/b", bytes("v1"), { dueAt: 100 });
        await storage.put("lease/b", bytes("v2"), {});
        expect(await claim(storage, 200)).toEqual(["lease/a"]);
        expect(text(await storage.get("lease/a"))).toBe("v2");
      });

      it("a compareAndSwap with options moves the due time and ends the claim; without, keeps both", async (context) => {
        const { storage } = await open();
        if (!storage.claimDue || !storage.compareAndSwap) return context.skip();
        await storage.put("lease/a", bytes("pending"), { dueAt: 100 });
        await storage.put("lease/b", bytes("pending"), { dueAt: 100 });
        expect((await claim(storage, 200, "p1")).sort()).toEqual(["lease/a", "lease/b"]);
        expect(await storage.compareAndSwap("lease/a", bytes("pending"), bytes("active"), { dueAt: 5000 })).toBe(true);
        expect(await storage.compareAndSwap("lease/b", bytes("pending"), bytes("active"))).toBe(true);
        expect(await claim(storage, 1500, "p2")).toEqual(["lease/b"]); // a's claim ended, but it is now due at 5000
        expect(await claim(storage, 2000, "p3")).toEqual([]); // b claimed by p2, a not due
        expect((await claim(storage, 5000, "p3")).sort()).toEqual(["lease/a", "lease/b"]); // p2's claim ran out
        expect(await storage.compareAndSwap("lease/c", undefined, bytes("new"), { dueAt: 7000 })).toBe(true);
        await storage.delete("lease/a");
        await storage.delete("lease/b");
        expect(await claim(storage, 6999, "p4")).toEqual([]);
        expect(await claim(storage, 7000, "p4")).toEqual(["lease/c"]);
      });

      it("concurrent claimers never get the same key", async (context) => {
        const { storage } = await open();
        if (!storage.claimDue) return context.skip();
        const keys = Array.from({ length: 200 }, (_, i) => `lease/${String(i).padStart(3, "0")}`);
        await Promise.all(keys.map((key) => storage.put(key, bytes("x"), { dueAt: 1 })));
        const batches = await Promise.all(Array.from({ length: 6 }, (_, i) => claim(storage, 10, `p${i}`, 50)));
        const claimed = batches.flat();
        expect(new Set(claimed).size).toBe(claimed.length);
        expect(claimed.length).toBeLessThanOrEqual(200);
        const rest = await claim(storage, 10, "last", 1000);
        expect([...claimed, ...rest].sort()).toEqual(keys);
      });
    });
  });
}
