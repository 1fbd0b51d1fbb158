import { describe, expect, it } from "vitest";
import { randomBelow, randomString, shuffle } from "../../src/util/random.js";

function counts(bound: number, draws: number): number[] {
  const seen = new Array<number>(bound).fill(0);
  for (let i = 0; i < draws; i++) seen[randomBelow(bound)]!++;
  return seen;
}

describe("randomBelow", () => {
  it("stays in [0, bound) and reaches every value", () => {
    for (const bound of [1, 2, 3, 7, 62, 255, 256, 257, 1000]) {
      const seen = counts(bound, bound * 40);
      expect(seen.every((count) => count > 0)).toBe(true);
      expect(seen.length).toBe(bound);
    }
  });

  it("is not biased towards low values where 256 is no multiple of the bound", () => {
    // With `byte % 192`, values 0..63 would come up twice as often as 64..191 (a half of all draws
    // instead of a third); rejection sampling keeps each third at a third.
    const seen = counts(192, 60_000);
    const low = seen.slice(0, 64).reduce((a, b) => a + b, 0) / 60_000;
    const middle = seen.slice(64, 128).reduce((a, b) => a + b, 0) / 60_000;
    expect(low).toBeGreaterThan(0.31);
    expect(low).toBeLessThan(0.356);
    expect(middle).toBeGreaterThan(0.31);
    expect(middle).toBeLessThan(0.356);
  });

  it("rejects a bound that is not a positive integer", () => {
    for (const bound of [0, -1, 1.5, Number.NaN]) expect(() => randomBelow(bound)).toThrow(RangeError);
  });
});

describe("randomString and shuffle", () => {
  it("draws only from the alphabet", () => {
    expect(randomString("ab", 200)).toMatch(/^[ab]{200}$/);
    expect(randomString("xyz", 0)).toBe("");
  });

  it("shuffles to a permutation, and not always the same one", () => {
    const orders = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const items = shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
      expect([...items].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      orders.add(items.join(","));
    }
    expect(orders.size).toBeGreaterThan(10);
  });
});
