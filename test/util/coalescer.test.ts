import { describe, expect, it } from "vitest";
import { Coalescer } from "../../src/util/coalescer.js";

/** A run function that records each run and finishes when told. */
function recorder() {
  const runs: string[][] = [];
  const pending: Array<() => void> = [];
  const run = (requests: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      runs.push(requests);
      pending.push(() => (requests.includes("fail") ? reject(new Error("run failed")) : resolve(requests.map((r) => r.toUpperCase()))));
    });
  const finishAll = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { runs, run, finishAll };
}

describe("Coalescer", () => {
  it("runs a lone request at once, alone, and combines those that wait for a slot", async () => {
    const { runs, run, finishAll } = recorder();
    const coalescer = new Coalescer(run, { maxInFlight: 1 });
    const results = ["a", "b", "c", "d"].map((r) => coalescer.submit(r));
    expect(runs).toEqual([["a"]]);
    await finishAll();
    expect(await Promise.all(results)).toEqual(["A", "B", "C", "D"]);
    expect(runs).toEqual([["a"], ["b", "c", "d"]]);
  });

  it("keeps requests on one key apart and in order, and caps a run", async () => {
    const { runs, run, finishAll } = recorder();
    const coalescer = new Coalescer(run, { maxInFlight: 2, maxBatch: 2, keysOf: (r: string) => [r[0]!] });
    const results = ["x1", "x2", "y1", "z1", "x3", "w1"].map((r) => coalescer.submit(r));
    await finishAll();
    await Promise.all(results);
    expect(runs[0]).toEqual(["x1"]);
    // x2 never runs beside x1 (in flight) nor beside x3; each x runs after the one before.
    const runOf = (request: string) => runs.findIndex((r) => r.includes(request));
    expect(runOf("x1")).toBeLessThan(runOf("x2"));
    expect(runOf("x2")).toBeLessThan(runOf("x3"));
    expect(runs.every((r) => r.length <= 2 && new Set(r.map((q) => q[0])).size === r.length)).toBe(true);
  });

  it("runs a failed combined run again one request at a time: only the request that fails is rejected", async () => {
    const { runs, run, finishAll } = recorder();
    const coalescer = new Coalescer(run, { maxInFlight: 1 });
    const settled = Promise.allSettled([coalescer.submit("ok"), coalescer.submit("fail"), coalescer.submit("with it")]);
    await finishAll();
    const outcomes = await settled;
    expect(outcomes.map((result) => (result.status === "fulfilled" ? result.value : (result.reason as Error).message))).toEqual(["OK", "run failed", "WITH IT"]);
    expect(runs).toEqual([["ok"], ["fail", "with it"], ["fail"], ["with it"]]);
  });
});
