import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/util/clock.js";
import { settleWithin } from "../../src/util/settle-within.js";

describe("settleWithin", () => {
  it("resolves true once the work settles (a rejection included), clearing its timer", async () => {
    const clock = new ManualClock(0);
    let finish!: () => void;
    const work = new Promise<void>((resolve) => (finish = resolve));
    const waiting = settleWithin(clock, 1000, [work, Promise.reject(new Error("ignored")), undefined]);
    expect(clock.pendingTimers).toBe(1);
    finish();
    expect(await waiting).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it("resolves false when the clock passes the deadline first, and only then", async () => {
    const clock = new ManualClock(0);
    let outcome: boolean | undefined;
    void settleWithin(clock, 1000, [new Promise(() => undefined)]).then((value) => (outcome = value));
    await clock.advance(999);
    expect(outcome).toBeUndefined();
    await clock.advance(1);
    await Promise.resolve();
    expect(outcome).toBe(false);
  });

  it("arms nothing when there is nothing to wait for", async () => {
    const clock = new ManualClock(0);
    expect(await settleWithin(clock, 1000, [undefined])).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});
