import { describe, expect, it } from "vitest";
import { DueHeap } from "../../src/util/due-heap.js";

describe("DueHeap", () => {
  it("pops due ids soonest first", () => {
    const heap = new DueHeap();
    heap.schedule("c", 30);
    heap.schedule("a", 10);
    heap.schedule("b", 20);
    expect(heap.popDue(25)).toEqual(["a", "b"]);
    expect(heap.peekTime()).toBe(30);
  });

  it("honours rescheduling and removal (lazy deletion)", () => {
    const heap = new DueHeap();
    heap.schedule("a", 10);
    heap.schedule("b", 20);
    heap.schedule("a", 50);
    heap.remove("b");
    expect(heap.popDue(40)).toEqual([]);
    expect(heap.peekTime()).toBe(50);
    expect(heap.size).toBe(1);
  });

  it("orders thousands of random times correctly", () => {
    const heap = new DueHeap();
    const times = Array.from({ length: 5000 }, (_, i) => ({ id: `l${i}`, t: Math.floor(Math.random() * 1e6) }));
    for (const { id, t } of times) heap.schedule(id, t);
    const popped = heap.popDue(1e6);
    const expected = [...times].sort((x, y) => x.t - y.t).map((x) => x.t);
    expect(popped.map((id) => times[Number(id.slice(1))]!.t)).toEqual(expected);
  });
});
