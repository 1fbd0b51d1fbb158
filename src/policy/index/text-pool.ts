/**
 * The texts of the compiled policy index (exact patterns, anchors, trie segments), stored one
 * after another in a single `Uint16Array` of UTF-16 code units, each preceded by its length.
 *
 * Hash tables only select candidates; every hit is confirmed against the text here. Keeping the
 * texts contiguous and out of the JavaScript heap means a confirmation reads one or two cache
 * lines of plain characters, not a string object somewhere in a 200 MB heap.
 *
 * @module
 */
import * as pathHash from "./path-hash.js";

// Module-local copies of imported constants, read in hot loops (see `path-hash.ts` on why).
const { SLASH } = pathHash;

/** Code units before each text: its length, low 16 bits then high 16 bits. */
const HEADER = 2;

/** An append-only pool of texts, each named by where it starts. */
export class TextPool {
  #units = new Uint16Array(1024);
  #used = 0;

  /** Appends `text` and returns where it starts: the handle `matches` takes. */
  add(text: string): number {
    this.#reserve(HEADER + text.length);
    const units = this.#units;
    units[this.#used] = text.length & 0xffff;
    units[this.#used + 1] = text.length >>> 16;
    const start = this.#used + HEADER;
    for (let index = 0; index < text.length; index++) units[start + index] = text.charCodeAt(index);
    this.#used = start + text.length;
    return start;
  }

  /**
   * Whether the text at `start` equals `length` characters of a path *view* from `from` on. The
   * view is the path followed by one virtual "/" (how a list request sees `foo` as `foo/`); the
   * caller never reads further than that.
   */
  matches(start: number, path: string, from: number, length: number): boolean {
    const units = this.#units;
    if (units[start - 2] !== (length & 0xffff) || units[start - 1] !== length >>> 16) return false;
    const pathLength = path.length;
    for (let index = 0; index < length; index++) {
      const at = from + index;
      const code = at < pathLength ? path.charCodeAt(at) : SLASH;
      if (code !== units[start + index]) return false;
    }
    return true;
  }

  #reserve(count: number): void {
    if (this.#used + count <= this.#units.length) return;
    let size = this.#units.length * 2;
    while (size < this.#used + count) size *= 2;
    const grown = new Uint16Array(size);
    grown.set(this.#units.subarray(0, this.#used));
    this.#units = grown;
  }
}
