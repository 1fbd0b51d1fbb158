/**
 * Generated database usernames.
 *
 * @module
 */
import { ALPHANUMERIC, randomString } from "../../util/random.js";
import { UsernameTemplate } from "./username-template.js";

/** What a username is made from. */
export interface UsernameInput {
  /** The requesting token's display name. */
  displayName: string;
  /** The role name. */
  roleName: string;
  /** Now, ms since the epoch. */
  now: number;
  /** The database's limit in bytes (63 for PostgreSQL). */
  maxBytes: number;
}

/**
 * Vault's default username: `v-<display name, 8>-<role, 8>-<20 random [A-Za-z0-9]>-<unix seconds>`,
 * cut to the database's limit. Display and role names are reduced to `[A-Za-z0-9_-]` first, so a
 * username can never break out of a quoted SQL identifier whatever a role is called. The random
 * part (~119 bits) makes it unique.
 */
export function defaultUsername({ displayName, roleName, now, maxBytes }: UsernameInput): string {
  const parts = [
    "v",
    sanitize(displayName).slice(0, 8),
    sanitize(roleName).slice(0, 8),
    randomString(ALPHANUMERIC, 20),
    String(Math.floor(now / 1000)),
  ];
  return parts.join("-").slice(0, maxBytes);
}

function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** How many parsed templates a generator keeps: one per connection in use is what pays. */
const CACHED_TEMPLATES = 64;

/**
 * Generated usernames for one backend: the connection's `username_template` when it has one, else
 * {@link defaultUsername}. Parsed templates are cached by their text, the {@link CACHED_TEMPLATES}
 * last used, so that templates written over time (each config write may bring a new one) do not
 * stay in memory for good.
 */
export class UsernameGenerator {
  readonly #templates = new Map<string, UsernameTemplate>();

  /** A fresh username for `input`, following `template` (empty: Vault's default). */
  generate(template: string | undefined, input: UsernameInput): string {
    if (!template) return defaultUsername(input);
    return this.#parsed(template, input.maxBytes).render(input, input.maxBytes);
  }

  #parsed(template: string, maxBytes: number): UsernameTemplate {
    const key = `${maxBytes}:${template}`;
    const parsed = this.#templates.get(key) ?? UsernameTemplate.parse(template, maxBytes);
    // Re-inserted, so the map's order is least recently used first.
    this.#templates.delete(key);
    if (this.#templates.size >= CACHED_TEMPLATES) this.#templates.delete(this.#templates.keys().next().value!);
    this.#templates.set(key, parsed);
    return parsed;
  }
}
