/**
 * Random identifiers. All randomness comes from `node:crypto` (nanoid draws from it too).
 *
 * @module
 */
import { randomFillSync, randomInt, randomUUID } from "node:crypto";
import { customRandom } from "nanoid";

/** Upper- and lower-case letters and digits. */
export const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * nanoid's own generator draws through `crypto.webcrypto.getRandomValues`, whose first call loads
 * WebCrypto: about 2 ms of every engine's start-up. The same uniform mapping, fed from
 * `randomFillSync` blocks (below), costs nothing extra.
 */
const alphanumeric24 = customRandom(ALPHANUMERIC, 24, randomBytesFromBlocks);

/** A random id for a lease, a token accessor or a request: 24 alphanumeric characters (~143 bits). */
export function randomId(): string {
  return alphanumeric24();
}

/** A random UUID (v4), as Vault uses for request ids and mount UUIDs. */
export function uuid(): string {
  return randomUUID();
}

/**
 * Bytes from `crypto.randomFillSync`, drawn a block at a time: a password needs ~40 small random
 * numbers, and one call per block costs far less than one `crypto.randomInt` call per number
 * (Node's `randomInt` keeps a similar cache of its own).
 */
const byteBlock = new Uint8Array(512);
let nextByte = byteBlock.length;

function randomByte(): number {
  if (nextByte === byteBlock.length) {
    randomFillSync(byteBlock);
    nextByte = 0;
  }
  return byteBlock[nextByte++]!;
}

/** `size` bytes from the block {@link randomByte} draws from. */
function randomBytesFromBlocks(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = randomByte();
  return bytes;
}

/**
 * A uniformly random integer in `[0, bound)`. Bytes at or above the largest multiple of `bound`
 * are rejected, so that no value is likelier than another (plain `byte % bound` would favour the
 * low values). Bounds over 256 use `crypto.randomInt`.
 */
export function randomBelow(bound: number): number {
  if (!Number.isInteger(bound) || bound < 1) throw new RangeError(`bound must be a positive integer, got ${bound}`);
  if (bound > 256) return randomInt(bound);
  const limit = 256 - (256 % bound);
  for (;;) {
    const byte = randomByte();
    if (byte < limit) return byte % bound;
  }
}

/** The code of one character drawn uniformly from `alphabet` with {@link randomBelow}. */
export function randomCharCode(alphabet: string): number {
  return alphabet.charCodeAt(randomBelow(alphabet.length));
}

/** `length` characters drawn uniformly from `alphabet` with {@link randomCharCode}. */
export function randomString(alphabet: string, length: number): string {
  const codes = new Array<number>(length);
  for (let i = 0; i < length; i++) codes[i] = randomCharCode(alphabet);
  return String.fromCharCode(...codes);
}

/** Shuffles an array in place (Fisher–Yates with {@link randomBelow}) and returns it. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelow(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
