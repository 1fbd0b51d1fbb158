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

describe("cron schedules: Vault's forms (names and macros)", () => {
  it("reads weekday and month names in any case, also in ranges and lists", () => {
    expect(next("0 0 * * SAT", "2026-01-01T00:00:00Z")).toBe("2026-01-03T00:00:00.000Z"); // 2026-01-01 is a Thursday
    expect(next("0 9 * * mon-fri", "2026-01-03T12:00:00Z")).toBe("2026-01-05T09:00:00.000Z");
    expect(next("0 0 1 JAN,Jul *", "2026-02-01T00:00:00Z")).toBe("2026-07-01T00:00:00.000Z");
    expect(next("0 0 ? * SUN", "2026-01-01T00:00:00Z")).toBe("2026-01-04T00:00:00.000Z");
  });

  it.each([
    ["@hourly", "2026-01-01T10:16:00Z", "2026-01-01T11:00:00.000Z"],
    ["@daily", "2026-01-01T10:16:00Z", "2026-01-02T00:00:00.000Z"],
    ["@midnight", "2026-01-01T10:16:00Z", "2026-01-02T00:00:00.000Z"],
    ["@weekly", "2026-01-01T10:16:00Z", "2026-01-04T00:00:00.000Z"],
    ["@monthly", "2026-01-01T10:16:00Z", "2026-02-01T00:00:00.000Z"],
    ["@yearly", "2026-01-01T10:16:00Z", "2027-01-01T00:00:00.000Z"],
    ["@annually", "2026-01-01T10:16:00Z", "2027-01-01T00:00:00.000Z"],
  ])("%s", (macro, from, expected) => {
    expect(next(macro, from)).toBe(expected);
  });

  it("refuses unknown names and macros, naming them", () => {
    expect(() => CronSchedule.parse("0 0 * * SATURDAY")).toThrow(/unknown name "SATURDAY"/);
    expect(() => CronSchedule.parse("0 0 * JAN MON-XYZ")).toThrow(InvalidRequestError);
    expect(() => CronSchedule.parse("0 JAN * * *")).toThrow(/unknown name "JAN" in the hour field/);
    expect(() => CronSchedule.parse("@every 1h")).toThrow(/unknown macro/);
  });
});
