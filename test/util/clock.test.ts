import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/util/clock.js";

describe("ManualClock", () => {
  it("runs timers in due order, each at its own time, and awaits their work", async () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    clock.setTimer(async () => {
      await Promise.resolve();
      log.push(`b@${clock.now()}`);
    }, 2000);
    clock.setTimer(() => void log.push(`a@${clock.now()}`), 1000);
    await clock.advance("1s");
    expect(log).toEqual(["a@1000"]);
    await clock.advance(5000);
    expect(log).toEqual(["a@1000", "b@2000"]);
    expect(clock.now()).toBe(6000);
  });

  it("runs timers armed by other timers within the same advance", async () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => void fired.push(clock.now()), 500);
    }, 1000);
    await clock.advance("2s");
    expect(fired).toEqual([1000, 1500]);
  });

  it("does not run cancelled timers", async () => {
    const clock = new ManualClock(0);
    let ran = false;
    const handle = clock.setTimer(() => void (ran = true), 10);
    clock.clearTimer(handle);
    await clock.advance(100);
    expect(ran).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });
});
