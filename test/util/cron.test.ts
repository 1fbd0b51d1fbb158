import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../src/errors.js";
import { CronSchedule } from "../../src/util/cron.js";

const at = (iso: string) => new Date(iso).getTime();
const next = (expr: string, from: string) => new Date(CronSchedule.parse(expr).next(at(from))!).toISOString();

describe("cron schedules", () => {
  it("finds the next matching minute, strictly after the given time", () => {
    expect(next("* * * * *", "2026-01-01T00:00:00Z")).toBe("2026-01-01T00:01:00.000Z");
    expect(next("30 2 * * *", "2026-01-01T02:30:00Z")).toBe("2026-01-02T02:30:00.000Z");
    expect(next("*/15 * * * *", "2026-01-01T10:16:10Z")).toBe("2026-01-01T10:30:00.000Z");
  });

  it("handles ranges, lists, steps, months and weekdays (0 and 7 are Sunday)", () => {
    expect(next("0 9 * * 1-5", "2026-01-03T12:00:00Z")).toBe("2026-01-05T09:00:00.000Z"); // Sat → Mon
    expect(next("0 0 * * 7", "2026-01-01T00:00:00Z")).toBe("2026-01-04T00:00:00.000Z");
    expect(next("0 0 1 3,6 *", "2026-01-15T00:00:00Z")).toBe("2026-03-01T00:00:00.000Z");
    expect(next("0 8-18/5 * * *", "2026-01-01T09:00:00Z")).toBe("2026-01-01T13:00:00.000Z");
    expect(next("0 0 29 2 *", "2026-03-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
  });

  it("matches either day field when both are restricted", () => {
    expect(next("0 0 15 * 1", "2026-01-01T00:00:00Z")).toBe("2026-01-05T00:00:00.000Z");
  });

  it.each([["* * * *"], ["60 * * * *"], ["* 24 * * *"], ["a * * * *"], ["5-1 * * * *"], ["*/0 * * * *"], ["0 0 30 2 *"]])(
    "rejects %s",
    (expr) => {
      expect(() => CronSchedule.parse(expr)).toThrow(InvalidRequestError);
    },
  );
});
