import { describe, expect, it } from "vitest";
import {
  DEFAULT_EMBEDDED_MAJOR,
  EMBEDDED_POSTGRES_RELEASES,
  OLDEST_EMBEDDED_MAJOR,
  embeddedMajorUnavailable,
  embeddedPlatform,
} from "../../../src/testing/postgres/embedded-majors.js";

describe("embedded PostgreSQL majors", () => {
  it("pins one release for every supported major but the default, each of that major", () => {
    for (let major = OLDEST_EMBEDDED_MAJOR; major < DEFAULT_EMBEDDED_MAJOR; major++) {
      expect(EMBEDDED_POSTGRES_RELEASES[major]?.version, `major ${major}`).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+(-[\\w.]+)?$`));
    }
  });

  it("always has the default major (the devDependency)", () => {
    expect(embeddedMajorUnavailable(DEFAULT_EMBEDDED_MAJOR)).toBeUndefined();
  });

  it("says why a major cannot run on this platform, and only then", () => {
    for (const [major, { version, platforms }] of Object.entries(EMBEDDED_POSTGRES_RELEASES)) {
      const why = embeddedMajorUnavailable(Number(major));
      if (platforms.includes(embeddedPlatform())) expect(why).toBeUndefined();
      else expect(why).toContain(`embedded-postgres ${version} has no binaries for ${embeddedPlatform()}`);
    }
  });

  it("rejects a major with no pinned release", () => {
    expect(embeddedMajorUnavailable(12)).toMatch(/no embedded-postgres release is pinned for PostgreSQL 12/);
  });
});
