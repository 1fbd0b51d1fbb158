/**
 * What a username template's functions draw on: the time, and random characters from
 * `node:crypto`, each with its own draw id (see {@link Text}).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { ALPHANUMERIC, randomString } from "../../../util/random.js";
import { NOT_RANDOM, type Text } from "./text.js";

/** The time and the randomness of one render. */
export interface FunctionEnvironment {
  /** Now, ms since the epoch. */
  readonly now: number;
  /** `length` random characters of `[A-Za-z0-9]`, each a new draw. */
  random(length: number): Text;
  /** A random (v4) UUID; its random hex digits are draws. */
  uuid(): Text;
}

/** The positions of a v4 UUID that are not random: the dashes, the version and the variant digit. */
const UUID_FIXED = new Set([8, 13, 14, 18, 19, 23]);

/** A fresh environment for one render: `node:crypto` randomness, draws numbered from 0. */
export function realEnvironment(now: number): FunctionEnvironment {
  let nextDraw = 0;
  const draw = (): number => nextDraw++;
  return {
    now,
    random: (length) => {
      const text = randomString(ALPHANUMERIC, length);
      return { text, draws: Array.from(text, draw) };
    },
    uuid: () => {
      const text = randomUUID();
      return { text, draws: Array.from(text, (_char, i) => (UUID_FIXED.has(i) ? NOT_RANDOM : draw())) };
    },
  };
}
