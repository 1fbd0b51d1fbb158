import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/index.js";
import { RotationScheduler } from "../../../src/secrets/database/rotation-scheduler.js";

describe("rotation scheduler", () => {
  it("keeps one timer for any number of roles and runs each when due", async () => {
    const clock = new ManualClock(0);
    const ran: string[] = [];
    const scheduler = new RotationScheduler(clock, async (name) => {
      ran.push(`${name}@${clock.now()}`);
    });
    for (let i = 100; i >= 1; i--) scheduler.schedule(`r${i}`, i * 1000);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(2500);
    expect(ran).toEqual(["r1@1000", "r2@2000"]);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(100_000);
    expect(ran).toHaveLength(100);
    expect(clock.pendingTimers).toBe(0);
  });

  it("moves a rescheduled name, forgets an unscheduled one, and stops on close", async () => {
    const clock = new ManualClock(0);
    const ran: string[] = [];
    const scheduler = new RotationScheduler(clock, async (name) => void ran.push(name));
    scheduler.schedule("a", 5000);
    scheduler.schedule("b", 6000);
    scheduler.schedule("a", 1000);
    scheduler.unschedule("b");
    await clock.advance(10_000);
    expect(ran).toEqual(["a"]);
    scheduler.schedule("c", 20_000);
    scheduler.close();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(20_000);
    expect(ran).toEqual(["a"]);
  });

  it("never arms a timer beyond 2^31-1 ms", () => {
    const clock = new ManualClock(0);
    const delays: number[] = [];
    const spy = { ...clock, now: () => clock.now(), clearTimer: () => undefined, setTimer: (_f: () => void, ms: number) => (delays.push(ms), {}) };
    const scheduler = new RotationScheduler(spy, async () => undefined);
    scheduler.schedule("far", 400 * 86_400_000);
    expect(delays[0]).toBe(2 ** 31 - 1);
  });
});
