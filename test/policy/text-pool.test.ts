/** The pool of texts every hash hit of the compiled policy index is confirmed against. */
import { describe, expect, it } from "vitest";
import { TextPool } from "../../src/policy/index/text-pool.js";

describe("TextPool", () => {
  const pool = new TextPool();
  const secret = pool.add("secret/");
  const empty = pool.add("");
  const wide = pool.add("clé/✓");

  it("matches a text against the same characters anywhere in a path", () => {
    expect(pool.matches(secret, "secret/data", 0, 7)).toBe(true);
    expect(pool.matches(secret, "kv/secret/", 3, 7)).toBe(true);
    expect(pool.matches(wide, "x/clé/✓", 2, 5)).toBe(true);
    expect(pool.matches(empty, "anything", 3, 0)).toBe(true);
  });

  it("rejects a different text, or the same text with a different length", () => {
    expect(pool.matches(secret, "secreT/data", 0, 7)).toBe(false);
    expect(pool.matches(secret, "secret/data", 0, 6)).toBe(false);
    expect(pool.matches(secret, "secret/data", 0, 8)).toBe(false);
    expect(pool.matches(empty, "secret", 0, 1)).toBe(false);
    expect(pool.matches(wide, "x/cle/✓", 2, 5)).toBe(false);
  });

  it("reads one virtual '/' past the end of the path", () => {
    expect(pool.matches(secret, "secret", 0, 7)).toBe(true);
    expect(pool.matches(secret, "secreT", 0, 7)).toBe(false);
  });

  it("keeps long texts and many texts intact as it grows", () => {
    const grown = new TextPool();
    const long = "x".repeat(70_000);
    const handles = Array.from({ length: 2000 }, (_, n) => grown.add(`text-${n}/`));
    const longHandle = grown.add(long);
    handles.forEach((handle, n) => expect(grown.matches(handle, `text-${n}/`, 0, `text-${n}/`.length)).toBe(true));
    expect(grown.matches(longHandle, long, 0, long.length)).toBe(true);
    // 70,000 and 70,000 - 65,536 = 4,464 must not be confused: the length is stored in full.
    expect(grown.matches(longHandle, long, 0, long.length - 65_536)).toBe(false);
  });
});
