/**
 * The keyed hash that hides secrets in audit records: `hmac-sha256:<hex>` with a per-engine key.
 *
 * @module
 */
import { createHmac, randomBytes } from "node:crypto";
import type { JsonStore } from "../storage/json-store.js";

const KEY_RECORD = "core/audit-hmac-key";
const PREFIX = "hmac-sha256:";
/** Memoized hashes kept at most; the memo is emptied when full (tokens and accessors repeat a lot). */
const MEMO_LIMIT = 10_000;
/**
 * Levels of nesting hashed; deeper values are recorded as `"[too deep]"`. Above the engine's
 * `MAX_REQUEST_DATA_DEPTH` (32), so it only shows in the record of a request refused for its depth,
 * whose data audit still records as presented: without the bound, hashing it overflowed the stack.
 */
const MAX_HASH_DEPTH = 64;

/**
 * HMACs values for audit entries. The key is random (32 bytes from `node:crypto`), stored in the
 * engine's storage, and shared by every audit device, so `sys/audit-hash` gives the value an
 * operator can search every log for.
 */
export class AuditHasher {
  readonly #store: JsonStore;
  #key: Buffer | undefined;
  readonly #memo = new Map<string, string>();

  /** @param store - the engine's core storage view */
  constructor(store: JsonStore) {
    this.#store = store;
  }

  /** Loads the key, creating and storing it on storage that has none. */
  async load(): Promise<void> {
    const saved = await this.#store.get<string>(KEY_RECORD);
    if (saved !== undefined) {
      this.#key = Buffer.from(saved, "base64");
      return;
    }
    // Create-if-absent: engines opening fresh storage together must agree on one key.
    const fresh = randomBytes(32).toString("base64");
    const { previous } = await this.#store.update<string>(KEY_RECORD, (current) => current ?? fresh);
    this.#key = Buffer.from(previous ?? fresh, "base64");
  }

  /** `hmac-sha256:<hex>` of `value`. */
  hash(value: string): string {
    if (!this.#key) throw new Error("audit hasher used before load()");
    return PREFIX + createHmac("sha256", this.#key).update(value).digest("hex");
  }

  /**
   * `hash(value)`, remembered under `memoKey` — an identifier that is NOT itself a secret (a token's
   * storage hash, an accessor), so the memo never holds a token in clear. Saves an HMAC per request
   * for the values every request carries.
   */
  hashMemoized(memoKey: string, value: string): string {
    let hashed = this.#memo.get(memoKey);
    if (hashed === undefined) {
      if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
      this.#memo.set(memoKey, (hashed = this.hash(value)));
    }
    return hashed;
  }

  /**
   * A copy of `value` with every string (at any depth, in objects and arrays) replaced by its hash.
   * Numbers, booleans and `null` stay as they are, and so do object keys, as in Vault. Values
   * nested deeper than 64 levels are recorded as `"[too deep]"`.
   */
  hashStrings(value: unknown): unknown {
    return this.#hashStrings(value, new WeakSet(), 0);
  }

  #hashStrings(value: unknown, seen: WeakSet<object>, depth: number): unknown {
    if (typeof value === "string") return this.hash(value);
    if (value === null || typeof value !== "object") return typeof value === "bigint" ? this.hash(String(value)) : value;
    if (seen.has(value)) return "[circular]";
    if (depth >= MAX_HASH_DEPTH) return "[too deep]";
    seen.add(value);
    if (Array.isArray(value)) return value.map((item) => this.#hashStrings(item, seen, depth + 1));
    if (value instanceof Date) return this.hash(value.toISOString());
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.#hashStrings(item, seen, depth + 1)]));
  }
}
