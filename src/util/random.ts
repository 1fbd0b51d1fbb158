/**
 * Random identifiers. All randomness comes from `node:crypto` (nanoid draws from it too).
 *
 * @module
 */
import { randomInt, randomUUID } from "node:crypto";
import { customAlphabet } from "nanoid";

/** Upper- and lower-case letters and digits. */
export const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const alphanumeric24 = customAlphabet(ALPHANUMERIC, 24);

/** A random id for a lease, a token accessor or a request: 24 alphanumeric characters (~143 bits). */
export function randomId(): string {
  return alphanumeric24();
}

/** A random UUID (v4), as Vault uses for request ids and mount UUIDs. */
export function uuid(): string {
  return randomUUID();
}

/** `length` characters drawn uniformly from `alphabet` with `crypto.randomInt`. */
export function randomString(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Shuffles an array in place (Fisher–Yates with `crypto.randomInt`) and returns it. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
