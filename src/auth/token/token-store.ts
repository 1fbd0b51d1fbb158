/**
 * Token storage: tokens are random from `node:crypto`, stored only as a keyed hash, and looked up
 * with a constant-time comparison.
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { UNCHANGED, type JsonStore } from "../../storage/json-store.js";
import type { Clock } from "../../util/clock.js";
import { randomId } from "../../util/random.js";
import type { TokenEntry } from "./token-entry.js";
import { consumeOneUse, type UseOutcome } from "./token-uses.js";

/** Every token vaultlet issues starts with this prefix, so leaked tokens are easy to spot and scan for. */
export const TOKEN_PREFIX = "vls.";

const KEY_RECORD = "key";

/** What is needed to create a token; the store fills in the hash and creation time. */
export type NewToken = Omit<TokenEntry, "hash" | "accessor" | "creationTime"> & {
  /** The accessor to use (default: a fresh random one). */
  accessor?: string;
};

/** The token store: create, look up, update and delete tokens by token or by accessor. */
export class TokenStore {
  readonly #store: JsonStore;
  readonly #clock: Clock;
  #key: Buffer | undefined;

  /**
   * @param store - the token records' storage view
   * @param clock - the engine's clock
   */
  constructor(store: JsonStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Loads the hashing key, creating it on fresh storage. */
  async load(): Promise<void> {
    const saved = await this.#store.get<string>(KEY_RECORD);
    if (saved) {
      this.#key = Buffer.from(saved, "base64");
      return;
    }
    this.#key = randomBytes(32);
    await this.#store.put(KEY_RECORD, this.#key.toString("base64"));
  }

  /** Creates a token; returns the token (shown once) and its stored entry. */
  async create(spec: NewToken): Promise<{ token: string; entry: TokenEntry }> {
    const token = TOKEN_PREFIX + randomBytes(24).toString("base64url");
    const entry: TokenEntry = {
      ...spec,
      hash: this.#hash(token),
      accessor: spec.accessor ?? randomId(),
      creationTime: this.#clock.now(),
    };
    await this.#store.put(`id/${entry.hash}`, entry);
    await this.#store.put(`accessor/${entry.accessor}`, entry.hash);
    if (entry.parentAccessor) await this.#store.put(`parent/${entry.parentAccessor}/${entry.accessor}`, true);
    return { token, entry };
  }

  /**
   * The entry of a live token, or `undefined` for an unknown, malformed or expired token. The
   * stored hash is compared in constant time.
   */
  async lookup(token: unknown): Promise<TokenEntry | undefined> {
    if (typeof token !== "string" || !token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
    const hash = this.#hash(token);
    const entry = await this.#store.get<TokenEntry>(`id/${hash}`);
    if (!entry || !constantTimeEqual(entry.hash, hash)) return undefined;
    return this.isExpired(entry) || entry.numUses < 0 ? undefined : entry;
  }

  /** The entry of a token by its accessor, or `undefined`. */
  async lookupByAccessor(accessor: unknown): Promise<TokenEntry | undefined> {
    if (typeof accessor !== "string" || !/^[A-Za-z0-9]{1,64}$/.test(accessor)) return undefined;
    const hash = await this.#store.get<string>(`accessor/${accessor}`);
    return hash === undefined ? undefined : this.#store.get<TokenEntry>(`id/${hash}`);
  }

  /**
   * Consumes one use of a limited-use token, atomically against every other request on this
   * storage (other engine processes included): of N concurrent requests on a token with `k` uses
   * left, exactly `min(N, k)` are told `"used"` or `"last"`.
   */
  async consumeUse(entry: TokenEntry): Promise<UseOutcome> {
    let outcome: UseOutcome = "refused";
    await this.#store.update<TokenEntry>(`id/${entry.hash}`, (current) => {
      const decision = consumeOneUse(current);
      outcome = decision.outcome;
      return decision.next ?? UNCHANGED;
    });
    return outcome;
  }

  /**
   * Moves a token's expiry (its lease was renewed). A read-modify-write of the stored record, so
   * it never writes back a use count that a concurrent request has since consumed, and never
   * brings back a token revoked meanwhile.
   */
  async setExpireTime(accessor: string, expireTime: number): Promise<void> {
    const hash = await this.#store.get<string>(`accessor/${accessor}`);
    if (hash === undefined) return;
    const lastRenewalTime = this.#clock.now();
    await this.#store.update<TokenEntry>(`id/${hash}`, (current) => (current ? { ...current, expireTime, lastRenewalTime } : UNCHANGED));
  }

  /**
   * Makes the child with `childAccessor` an orphan of `parentAccessor` (its parent is being revoked
   * with `revoke-orphan`): its record loses the parent, atomically against uses and renewals in
   * flight, then the parent's record of it goes. A child that is gone, or has another parent by
   * now, only loses the stale record.
   */
  async orphanChild(parentAccessor: string, childAccessor: string): Promise<void> {
    const hash = await this.#store.get<string>(`accessor/${childAccessor}`);
    if (hash !== undefined) {
      await this.#store.update<TokenEntry>(`id/${hash}`, (current) => {
        if (!current || current.parentAccessor !== parentAccessor) return UNCHANGED;
        const { parentAccessor: _dropped, ...orphan } = current;
        return orphan;
      });
    }
    await this.deleteChildRecord(parentAccessor, childAccessor);
  }

  /**
   * The full storage key of the token's record: its existence is what {@link TokenStore.exists}
   * checks, so storage can check it in the same step as another write (see `leases/pending-lease.ts`).
   */
  recordKey(entry: TokenEntry): string {
    return this.#store.fullKey(`id/${entry.hash}`);
  }

  /** Whether the token of `entry` is still stored (spent and expired ones included): one read. */
  async exists(entry: TokenEntry): Promise<boolean> {
    return this.#store.has(`id/${entry.hash}`);
  }

  /**
   * Deletes a token, then its accessor record and its place in its parent's children. The token
   * record goes first; no use or renewal in flight can write it back (they are atomic updates,
   * and `JsonStore.delete` is ordered with them).
   */
  async delete(entry: TokenEntry): Promise<void> {
    await this.#store.delete(`id/${entry.hash}`);
    await this.#store.delete(`accessor/${entry.accessor}`);
    if (entry.parentAccessor) await this.#store.delete(`parent/${entry.parentAccessor}/${entry.accessor}`);
  }

  /** Removes a parent's record of a child that no longer exists. */
  async deleteChildRecord(parentAccessor: string, childAccessor: string): Promise<void> {
    await this.#store.delete(`parent/${parentAccessor}/${childAccessor}`);
  }

  /** Accessors of the child tokens of the token with `accessor`. */
  async childAccessors(accessor: string): Promise<string[]> {
    const prefix = `parent/${accessor}/`;
    return (await this.#store.list(prefix)).map((key) => key.slice(prefix.length));
  }

  /**
   * Vault's tidy of the token indexes: removes `parent/` records of children that are gone and
   * `accessor/` records of tokens that are gone. Returns the accessors of children that still exist
   * while their parent does not (a revocation cut short by a crash); the caller revokes them, as
   * the parent's revocation would have.
   */
  async tidyIndexes(): Promise<{ strandedChildren: string[]; removed: number }> {
    const strandedChildren: string[] = [];
    let removed = 0;
    for (const key of await this.#store.list("parent/")) {
      const [parentAccessor, childAccessor] = key.slice("parent/".length).split("/") as [string, string];
      if (!(await this.lookupByAccessor(childAccessor))) {
        await this.deleteChildRecord(parentAccessor, childAccessor);
        removed++;
      } else if (!(await this.lookupByAccessor(parentAccessor))) {
        strandedChildren.push(childAccessor);
      }
    }
    for (const accessor of await this.accessors()) {
      const hash = await this.#store.get<string>(`accessor/${accessor}`);
      if (hash !== undefined && !(await this.#store.has(`id/${hash}`))) {
        await this.#store.delete(`accessor/${accessor}`);
        removed++;
      }
    }
    return { strandedChildren, removed };
  }

  /** Accessors of every stored token. */
  async accessors(): Promise<string[]> {
    return (await this.#store.list("accessor/")).map((key) => key.slice("accessor/".length));
  }

  /** Whether the token's TTL has run out. */
  isExpired(entry: TokenEntry): boolean {
    return entry.expireTime !== undefined && entry.expireTime <= this.#clock.now();
  }

  #hash(token: string): string {
    if (!this.#key) throw new Error("token store used before load()");
    return createHmac("sha256", this.#key).update(token).digest("hex");
  }
}

/** The length of a token hash: an HMAC-SHA256 digest in hex. */
const HASH_LENGTH = 64;
/**
 * Scratch space for comparing two hashes: every request compares one, and two fresh buffers per
 * request were a measurable share of its cost. Only hashes ever pass through (never a token).
 */
const leftScratch = Buffer.alloc(HASH_LENGTH * 2);
const rightScratch = Buffer.alloc(HASH_LENGTH * 2);

/** Whether two token hashes are equal, in time that does not depend on where they differ. */
function constantTimeEqual(a: unknown, b: string): boolean {
  if (typeof a !== "string" || a.length !== HASH_LENGTH || b.length !== HASH_LENGTH) return false;
  // UTF-16 code units, two bytes each: every string of this length fills the buffer exactly, and
  // no two different strings write the same bytes.
  leftScratch.write(a, "utf16le");
  rightScratch.write(b, "utf16le");
  return timingSafeEqual(leftScratch, rightScratch);
}
