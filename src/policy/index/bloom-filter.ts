/**
 * A Bloom filter over 30-bit hashes: a compact "definitely not here" test that the index consults
 * before touching its (large, cache-cold) hash tables.
 *
 * With 100,000 rules the tables no longer fit in the CPU cache, and every probe of a key that is
 * not there costs a memory round trip. The filter takes 16 bits per key, so it stays small enough
 * to remain cached. It is *blocked*: both bits of a key lie in one 32-bit word, so a test costs one
 * memory access; an absent key passes the test about 2% of the time.
 *
 * @module
 */

const BITS_PER_KEY = 16;
const MIN_WORDS = 32;
const MAX_WORDS = 1 << 19;

/** A fixed-size Bloom filter; add every key before the first lookup. */
export class BloomFilter {
  readonly #words: Int32Array;
  /** Shifts a 32-bit remix of the hash down to a word index. */
  readonly #shift: number;

  /** @param expectedKeys - how many keys will be added; sizes the filter */
  constructor(expectedKeys: number) {
    let words = MIN_WORDS;
    while (words * 32 < expectedKeys * BITS_PER_KEY && words < MAX_WORDS) words *= 2;
    this.#words = new Int32Array(words);
    this.#shift = 32 - Math.log2(words);
  }

  /** Records a key (a 30-bit hash). */
  add(hash: number): void {
    const index = this.#wordOf(hash);
    this.#words[index] = this.#words[index]! | maskOf(hash);
  }

  /** False when the key was certainly never added; true when it may have been. */
  mightContain(hash: number): boolean {
    const mask = maskOf(hash);
    return (this.#words[this.#wordOf(hash)]! & mask) === mask;
  }

  /** The word comes from the high bits of a multiplicative remix, the two bits from the low hash bits. */
  #wordOf(hash: number): number {
    return Math.imul(hash, 0x9e3779b1) >>> this.#shift;
  }
}

function maskOf(hash: number): number {
  return (1 << (hash & 31)) | (1 << ((hash >>> 5) & 31));
}
