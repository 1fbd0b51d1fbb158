/**
 * The flat hash table under the compiled policy index. Hashes are passed in, so collisions can be
 * forced: every entry sharing a hash must be found, and no other.
 */
import { describe, expect, it } from "vitest";
import { HashSlots } from "../../src/policy/index/hash-slots.js";

/** The `a` payloads of every entry the table selects for `hash`, in probe order. */
function candidates(table: HashSlots, hash: number): number[] {
  const found: number[] = [];
  for (let slot = table.first(hash); slot !== -1; slot = table.next(slot, hash)) found.push(table.a(slot));
  return found;
}

describe("HashSlots", () => {
  it("returns each entry's payload by its hash", () => {
    const table = new HashSlots(3);
    table.add(1, 10, 11, 12);
    table.add(2, 20, 21, 22);
    table.add(0x3fffffff, 30, 31, 32);
    const slot = table.first(2);
    expect([table.a(slot), table.b(slot), table.c(slot)]).toEqual([20, 21, 22]);
    expect(candidates(table, 0x3fffffff)).toEqual([30]);
    expect(table.size).toBe(3);
  });

  it("finds nothing for a hash never added, in an empty or a full table", () => {
    expect(new HashSlots(0).first(5)).toBe(-1);
    const table = new HashSlots(4);
    for (let hash = 0; hash < 4; hash++) table.add(hash, hash, 0, 0);
    expect(table.first(4)).toBe(-1);
  });

  it("keeps every entry of a forced collision, and only those", () => {
    const table = new HashSlots(200);
    for (let n = 0; n < 100; n++) table.add(7, n, 0, 0);
    // Other hashes in between, so that probe runs of different hashes interleave.
    for (let n = 0; n < 100; n++) table.add(8 + n, 1000 + n, 0, 0);
    expect(candidates(table, 7).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    for (let n = 0; n < 100; n++) expect(candidates(table, 8 + n)).toEqual([1000 + n]);
  });

  it("finds entries whose home slots wrap around the end of the table", () => {
    const table = new HashSlots(8);
    const hashes = Array.from({ length: 8 }, (_, n) => n * 0x1234567);
    hashes.forEach((hash, n) => table.add(hash, n, 0, 0));
    hashes.forEach((hash, n) => expect(candidates(table, hash)).toContain(n));
  });

  it("refuses more entries than it was sized for", () => {
    const table = new HashSlots(1);
    table.add(1, 0, 0, 0);
    expect(() => table.add(2, 0, 0, 0)).toThrow(RangeError);
  });
});
