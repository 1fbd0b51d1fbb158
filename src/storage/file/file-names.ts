/**
 * How {@link FileStorage} turns key segments into file names: any string becomes a name that is
 * safe on every common file system, including case-insensitive ones, and decodes back exactly.
 *
 * `a-z`, `0-9`, `_` and `-` stay as they are; an upper-case letter becomes `^` and its lower-case
 * form (so `AbC` → `^ab^c`, distinct from `abc` even where the file system ignores case); every
 * other byte of the UTF-8 form becomes `%` and two lower-case hex digits (so `.`, `/`, `%` and `^`
 * can never appear raw, and no name is ever `.` or `..`).
 *
 * @module
 */
import { InvalidRequestError } from "../../errors.js";

/** Appended to the encoded name of a record's file. */
export const FILE_SUFFIX = ".v";
/** Appended to the encoded name of a folder (a key segment followed by `/`). */
export const FOLDER_SUFFIX = ".d";

/** File systems allow 255 bytes per name; the suffix takes two. */
const MAX_ENCODED_BYTES = 253;

const PLAIN = /^[a-z0-9_-]$/;
const UPPER = /^[A-Z]$/;

/**
 * The file-name form of one key segment.
 *
 * @throws InvalidRequestError when the encoded segment would not fit in a file name
 */
export function encodeSegment(segment: string): string {
  let out = "";
  for (const char of segment) {
    if (PLAIN.test(char)) out += char;
    else if (UPPER.test(char)) out += `^${char.toLowerCase()}`;
    else for (const byte of Buffer.from(char, "utf8")) out += `%${byte.toString(16).padStart(2, "0")}`;
  }
  if (out.length > MAX_ENCODED_BYTES) {
    throw new InvalidRequestError(`a storage key segment is too long for FileStorage (${segment.length} characters)`);
  }
  return out;
}

/** The key segment a file name stands for, or `undefined` for a name FileStorage did not write. */
export function decodeSegment(name: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const char = name[i]!;
    if (char === "^") {
      const next = name[i + 1];
      if (next === undefined || !/^[a-z]$/.test(next)) return undefined;
      bytes.push(next.toUpperCase().charCodeAt(0));
      i++;
    } else if (char === "%") {
      const hex = name.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (PLAIN.test(char)) {
      bytes.push(char.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
