import { describe, expect, it } from "vitest";
import { BoundedQueue } from "../../src/leases/revocation-queue.js";

describe("BoundedQueue", () => {
  it("never runs more than its concurrency at once", async () => {
    const queue = new BoundedQueue(3);
    let running = 0;
    let peak = 0;
    const job = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    };
    await Promise.all(Array.from({ length: 20 }, () => queue.run(job)));
    expect(peak).toBe(3);
    expect(queue.depth).toBe(0);
    expect(queue.running).toBe(0);
  });

  it("is fair across groups: a burst in one mount does not starve another", async () => {
    const queue = new BoundedQueue(1);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const jobs = [queue.run(() => gate.then(() => void order.push("a0")), "a")];
    for (let i = 1; i <= 4; i++) jobs.push(queue.run(async () => void order.push(`a${i}`), "a"));
    for (let i = 0; i < 2; i++) jobs.push(queue.run(async () => void order.push(`b${i}`), "b"));
    expect(queue.depth).toBe(6);
    release();
    await Promise.all(jobs);
    expect(order).toEqual(["a0", "a1", "b0", "a2", "b1", "a3", "a4"]);
  });

  it("frees the slot when a job fails", async () => {
    const queue = new BoundedQueue(1);
    await expect(queue.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(queue.run(async () => 42)).resolves.toBe(42);
  });
});
