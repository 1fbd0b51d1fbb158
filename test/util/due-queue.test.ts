import { describe, expect, it } from "vitest";
import { ManualClock, type Clock } from "../../src/util/clock.js";
import { DueQueue } from "../../src/util/due-queue.js";

/** A queue on a ManualClock that logs `key@time` for every key that falls due. */
function loggingQueue(options = {}) {
  const clock = new ManualClock(0);
  const ran: string[] = [];
  const wakes: number[] = [];
  const queue = new DueQueue(
    clock,
    (keys, now) => {
      wakes.push(now);
      for (const key of keys) ran.push(`${key}@${clock.now()}`);
    },
    options,
  );
  return { clock, queue, ran, wakes };
}

/** A clock that records every delay it is asked for. */
function recordingClock(inner: ManualClock): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => inner.now(),
    setTimer: (callback, ms) => (delays.push(ms), inner.setTimer(callback, ms)),
    clearTimer: (handle) => inner.clearTimer(handle),
  };
}

describe("DueQueue", () => {
  it("hands keys over in due order, each at its time", async () => {
    const { clock, queue, ran } = loggingQueue();
    queue.schedule("c", 3000);
    queue.schedule("a", 1000);
    queue.schedule("b", 2000);
    queue.schedule("a2", 1000);
    await clock.advance(2500);
    expect(ran).toEqual(["a@1000", "a2@1000", "b@2000"]);
    expect(queue.size).toBe(1);
    await clock.advance(1000);
    expect(ran).toEqual(["a@1000", "a2@1000", "b@2000", "c@3000"]);
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it("keeps one timer for many keys, whatever the order they come in", async () => {
    const { clock, queue, ran } = loggingQueue();
    for (let i = 10_000; i >= 1; i--) queue.schedule(`k${i}`, i * 10);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(50);
    expect(ran).toHaveLength(5);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(200_000);
    expect(ran).toHaveLength(10_000);
    expect(ran.slice(0, 3)).toEqual(["k1@10", "k2@20", "k3@30"]);
  });

  it("re-scheduling moves a key, earlier or later", async () => {
    const { clock, queue, ran } = loggingQueue();
    queue.schedule("late", 1000);
    queue.schedule("early", 5000);
    queue.schedule("late", 8000);
    queue.schedule("early", 500);
    expect(queue.dueAt("late")).toBe(8000);
    await clock.advance(1000);
    expect(ran).toEqual(["early@500"]);
    await clock.advance(7000);
    expect(ran).toEqual(["early@500", "late@8000"]);
  });

  it("a cancelled key never falls due, and an emptied queue arms no further timer", async () => {
    const { clock, queue, ran } = loggingQueue();
    queue.schedule("a", 1000);
    queue.schedule("b", 2000);
    queue.cancel("a");
    queue.cancel("missing");
    expect(queue.has("a")).toBe(false);
    await clock.advance(3000);
    expect(ran).toEqual(["b@2000"]);
    queue.schedule("c", 4000);
    queue.cancel("c");
    await clock.advance(2000);
    expect(ran).toEqual(["b@2000"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("never asks for a delay over 2^31-1 ms, and still runs a far-future key on time", async () => {
    const inner = new ManualClock(0);
    const clock = recordingClock(inner);
    const ran: number[] = [];
    const queue = new DueQueue(clock, (keys) => void ran.push(...keys.map(() => inner.now())));
    const far = 400 * 86_400_000; // 400 days
    queue.schedule("far", far);
    expect(clock.delays).toEqual([2 ** 31 - 1]);
    await inner.advance(far - 1);
    expect(ran).toEqual([]);
    expect(Math.max(...clock.delays)).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(clock.delays.length).toBeGreaterThan(1); // it woke early and re-armed
    await inner.advance(1);
    expect(ran).toEqual([far]);
  });

  it("lets the callback schedule again (a next run, a retry) while one timer stays armed", async () => {
    const clock = new ManualClock(0);
    const ran: string[] = [];
    const queue: DueQueue = new DueQueue(clock, async (keys) => {
      await Promise.resolve();
      for (const key of keys) {
        ran.push(`${key}@${clock.now()}`);
        if (ran.length < 4) queue.schedule(key, clock.now() + 1000);
      }
    });
    queue.schedule("r", 1000);
    await clock.advance(10_000);
    expect(ran).toEqual(["r@1000", "r@2000", "r@3000", "r@4000"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("with maxSleepMs, wakes that often even when nothing is due", async () => {
    const { clock, queue, ran, wakes } = loggingQueue({ maxSleepMs: 1000 });
    expect(clock.pendingTimers).toBe(0); // nothing scheduled yet: asleep
    queue.schedule("x", 2500);
    await clock.advance(4000);
    expect(ran).toEqual(["x@2500"]);
    expect(wakes).toEqual([1000, 2000, 2500, 3500]);
    expect(clock.pendingTimers).toBe(1);
    queue.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it("close stops the timer and ignores later schedules", async () => {
    const { clock, queue, ran } = loggingQueue();
    queue.schedule("a", 1000);
    queue.close();
    queue.schedule("b", 500);
    expect(clock.pendingTimers).toBe(0);
    expect(queue.size).toBe(0);
    await clock.advance(5000);
    expect(ran).toEqual([]);
  });
});
