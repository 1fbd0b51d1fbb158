/**
 * An open-addressing hash table in one `Int32Array`: each slot holds a 30-bit hash and three
 * integers of payload (say, where a pattern's text starts and which rule it belongs to).
 *
 * The compiled policy index keeps its large tables in this form rather than in `Map`s of objects.
 * A `Map` lookup hops from the bucket to an entry, to the key string, to the value object — each
 * hop a likely cache (and TLB) miss once 100,000 rules no longer fit in the CPU caches. Here a
 * lookup reads one 16-byte slot (probing on to the next few, in the same or the next cache line,
 * on a collision), and the payload comes with it.
 *
 * The table only *selects* candidates by hash: several entries may share a hash, and the caller
 * must confirm each candidate against the real text (`first`, then `next` until -1). The hash is
 * passed in, never computed here, so callers can reuse the hashes `scanPath` computed, and tests
 * can force collisions.
 *
 * @module
 */
import * as pathHash from "./path-hash.js";

// Module-local copies of imported constants, read in hot loops (see `path-hash.ts` on why).
const { HASH_MASK } = pathHash;

/** Integers per slot: the hash, then payload `a`, `b`, `c`. */
const STRIDE = 4;
/** The hash of an empty slot; real hashes are 30-bit, never negative. */
const EMPTY = -1;

/** A fixed-capacity table from 30-bit hashes to three-integer payloads; fill it, then look up. */
export class HashSlots {
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** Shifts a 32-bit remix of the hash down to a slot index. */
  readonly #shift: number;
  readonly #capacity: number;
  #size = 0;

  /** @param entryCount - how many entries will be added (at most); the table keeps half its slots empty */
  constructor(entryCount: number) {
    let slotCount = 8;
    while (slotCount < entryCount * 2) slotCount *= 2;
    this.#slots = new Int32Array(slotCount * STRIDE).fill(EMPTY);
    this.#mask = slotCount - 1;
    this.#shift = 32 - Math.log2(slotCount);
    this.#capacity = entryCount;
  }

  /** How many entries were added. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds an entry. Entries with the same hash all stay; lookups find each of them.
   *
   * @throws RangeError when more entries are added than the table was sized for (a bug in the caller)
   */
  add(hash: number, a: number, b: number, c: number): void {
    if (this.#size >= this.#capacity) throw new RangeError(`hash table sized for ${this.#capacity} entries is full`);
    const slots = this.#slots;
    let slot = this.#home(hash);
    while (slots[slot * STRIDE] !== EMPTY) slot = (slot + 1) & this.#mask;
    const at = slot * STRIDE;
    slots[at] = hash & HASH_MASK;
    slots[at + 1] = a;
    slots[at + 2] = b;
    slots[at + 3] = c;
    this.#size++;
  }

  /** The first slot holding `hash`, or -1 when none does. */
  first(hash: number): number {
    return this.#probe(this.#home(hash), hash);
  }

  /** The next slot after `slot` (a slot `first` or `next` returned) holding `hash`, or -1. */
  next(slot: number, hash: number): number {
    return this.#probe((slot + 1) & this.#mask, hash);
  }

  /** Payload `a` of a slot `first` or `next` returned. */
  a(slot: number): number {
    return this.#slots[slot * STRIDE + 1]!;
  }

  /** Payload `b` of a slot `first` or `next` returned. */
  b(slot: number): number {
    return this.#slots[slot * STRIDE + 2]!;
  }

  /** Payload `c` of a slot `first` or `next` returned. */
  c(slot: number): number {
    return this.#slots[slot * STRIDE + 3]!;
  }

  /** Linear probing: entries with this hash lie between its home slot and the next empty slot. */
  #probe(slot: number, hash: number): number {
    const slots = this.#slots;
    for (;;) {
      const stored = slots[slot * STRIDE]!;
      if (stored === hash) return slot;
      if (stored === EMPTY) return -1;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** The home slot comes from the high bits of a multiplicative remix, so similar hashes spread out. */
  #home(hash: number): number {
    return Math.imul(hash & HASH_MASK, 0x9e3779b1) >>> this.#shift;
  }
}
