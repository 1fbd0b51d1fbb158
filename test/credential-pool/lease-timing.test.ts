import { describe, expect, it } from "vitest";
import { isFinalRenewal, nextStepAt, retryDelay } from "../../src/credential-pool/lease-timing.js";

describe("lease timing", () => {
  it("acts at the fraction of a term", () => {
    expect(nextStepAt({ grantedAt: 0, expiresAt: 3_600_000, final: false }, 2 / 3)).toBe(2_400_000);
    expect(nextStepAt({ grantedAt: 1000, expiresAt: 2000, final: true }, 0.5)).toBe(1500);
  });

  it("calls a renewal final when the engine granted less than asked", () => {
    expect(isFinalRenewal(3600, 3600)).toBe(false);
    expect(isFinalRenewal(3600, 1200)).toBe(true);
  });

  it("doubles retries up to the maximum, never past half the time left", () => {
    const far = 10 * 3_600_000;
    expect([1, 2, 3, 7, 8, 40].map((n) => retryDelay(n, 0, far))).toEqual([1000, 2000, 4000, 60_000, 60_000, 60_000]);
    expect(retryDelay(7, 0, 20_000)).toBe(10_000);
    expect(retryDelay(7, 0, 500)).toBe(1000); // about to end (or ended): retried soon, and then replaced
    expect(retryDelay(1, 0, far, { initialMs: 50, maxMs: 80 })).toBe(50);
    expect(retryDelay(5, 0, far, { initialMs: 50, maxMs: 80 })).toBe(80);
  });
});
