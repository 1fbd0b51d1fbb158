/**
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { EncryptionError, InvalidRequestError } from "../errors.js";
import { sameBytes } from "./atomic-update.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import type { AtRest, BatchWrite, ChangeListener, ChangeWatch, ClaimRequest, ExposureListener, PutOptions, Storage } from "./storage.js";
import type { ProtectedRecords } from "../util/protected-records.js";

/**
 * The keys of an {@link EncryptedStorage}: every key that may have written a record, and the one
 * new writes use. Keys are 32 random bytes each (AES-256), supplied and kept by the host.
 *
 * @example
 * ```ts
 * const keyring = { activeKeyId: "2026-11", keys: { "2026-05": oldKey, "2026-11": newKey } };
 * ```
 */
export interface Keyring {
  /** The id of the key that encrypts new writes. */
  activeKeyId: string;
  /** Every usable key by id (1–64 characters of `[A-Za-z0-9._-]`), each exactly 32 bytes. */
  keys: Record<string, Uint8Array>;
}

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Records whose sealed bytes this barrier remembers (see `#written`): the most recent writes. */
const REMEMBERED_WRITES = 1024;

/** A record as this barrier last wrote it: its plaintext and the exact sealed bytes stored. */
interface Written {
  plaintext: Uint8Array;
  sealed: Uint8Array;
}

/**
 * An encrypting barrier over any {@link Storage}: every value is sealed with AES-256-GCM before it
 * reaches the storage underneath, so the raw files or table rows hold no password, token or
 * connection string.
 *
 * Each record is `version ‖ key-id length ‖ key id ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag`. The
 * additional authenticated data is the format version, the key id and the record's storage key, so
 * a record copied to another key, or relabelled with another key id, fails to decrypt instead of
 * being read as the wrong thing. Keys (the storage's, not the cipher's) are not encrypted: they
 * hold ids and paths, never secrets.
 *
 * Rotation without downtime: add the new key, make it active and reopen; old records stay
 * readable with their own key, new writes use the active one, and {@link EncryptedStorage.reencrypt}
 * rewrites old records so the old key can later be dropped.
 *
 * @example
 * ```ts
 * const storage = new EncryptedStorage(new FileStorage({ path }), {
 *   activeKeyId: "k1",
 *   keys: { k1: Buffer.from(process.env.VAULTLET_KEY!, "base64") },
 * });
 * const engine = await Engine.open({ storage });
 * ```
 */
export class EncryptedStorage implements Storage {
  readonly #inner: Storage;
  readonly #keys: Map<string, Buffer>;
  readonly #activeKeyId: string;
  /** Serializes this barrier's writes per key (a re-encryption must not overwrite a newer write). */
  readonly #locks = new KeyedMutex();
  /**
   * The latest records this barrier wrote, by key. A swap whose expected value is one of them
   * swaps against those sealed bytes directly, sparing the read that randomized sealing otherwise
   * needs (a lease turning active swaps the record its issuer just wrote). Only ever a shortcut:
   * if the record changed since (another process), that swap fails and the full one runs.
   */
  readonly #written = new Map<string, Written>();
  /** Every value is sealed before it reaches the inner storage: the engine may keep secrets here. */
  readonly atRest: AtRest = "encrypted";

  /** @inheritdoc */
  readonly claimDue?: (request: ClaimRequest) => Promise<string[]>;
  /** @inheritdoc */
  readonly compareAndSwap?: (key: string, expected: Uint8Array | undefined, next: Uint8Array | undefined, options?: PutOptions) => Promise<boolean>;
  /** @inheritdoc */
  readonly getMany?: (keys: readonly string[]) => Promise<Array<Uint8Array | undefined>>;
  /** @inheritdoc */
  readonly deleteMany?: (keys: readonly string[]) => Promise<void>;
  /** @inheritdoc */
  readonly batch?: (writes: readonly BatchWrite[]) => Promise<void>;
  /** @inheritdoc */
  readonly compareAndSwapIfPresent?: (
    key: string,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
    present: readonly string[],
    options?: PutOptions,
  ) => Promise<boolean>;
  /**
   * Passed through: keys are not encrypted, and every write through the barrier is a write of the
   * inner storage under the same key, which announces it.
   *
   * The contract is {@link Storage.watch}.
   */
  readonly watch?: (prefixes: readonly string[], listener: ChangeListener) => ChangeWatch;
  /**
   * Passed through: the records are the inner storage's rows, sealed or not, and whoever reaches
   * them can still delete, replay or (unsealed, with `allowUnencryptedStorage`) read them.
   *
   * The contract is {@link Storage.recordsLocation}.
   */
  readonly recordsLocation?: (options?: { refresh?: boolean }) => Promise<ProtectedRecords>;
  /** Passed through. The contract is {@link Storage.watchExposure}. */
  readonly watchExposure?: (listener: ExposureListener) => () => void;

  /**
   * @param inner - the storage that receives the sealed records
   * @param keyring - the host's keys
   * @throws InvalidRequestError for a malformed keyring (wrong key length, unknown active id)
   */
  constructor(inner: Storage, keyring: Keyring) {
    this.#inner = inner;
    this.#keys = validateKeyring(keyring);
    this.#activeKeyId = keyring.activeKeyId;
    if (inner.watch) this.watch = (prefixes, listener) => inner.watch!(prefixes, listener);
    if (inner.recordsLocation) this.recordsLocation = (options) => inner.recordsLocation!(options);
    if (inner.watchExposure) this.watchExposure = (listener) => inner.watchExposure!(listener);
    if (inner.claimDue) this.claimDue = (request) => inner.claimDue!(request);
    if (inner.compareAndSwap) this.compareAndSwap = (key, expected, next, options) => this.#compareAndSwap(inner, key, expected, next, options);
    if (inner.batch) this.batch = (writes) => this.#batch(inner, writes);
    if (inner.compareAndSwapIfPresent && inner.compareAndSwap) {
      // Keys are not encrypted: the presence checks pass through as they are.
      this.compareAndSwapIfPresent = (key, expected, next, present, options) =>
        this.#compareAndSwap(inner, key, expected, next, options, present);
    }
    if (inner.getMany) {
      this.getMany = async (keys) => {
        const sealed = await inner.getMany!(keys);
        return sealed.map((value, i) => (value === undefined ? undefined : this.#open(keys[i]!, value).plaintext));
      };
    }
    if (inner.deleteMany) this.deleteMany = (keys) => this.#serializedAll(keys, () => inner.deleteMany!(keys));
  }

  /**
   * @inheritdoc
   * @throws EncryptionError when the record's key is not in the keyring or it fails authentication
   */
  async get(key: string): Promise<Uint8Array | undefined> {
    const sealed = await this.#inner.get(key);
    return sealed === undefined ? undefined : this.#open(key, sealed).plaintext;
  }

  /** @inheritdoc */
  async put(key: string, value: Uint8Array, options?: PutOptions): Promise<void> {
    const sealed = this.#seal(key, value);
    await this.#serialized(key, async () => {
      this.#written.delete(key);
      await (options ? this.#inner.put(key, sealed, options) : this.#inner.put(key, sealed));
      this.#remember(key, value, sealed);
    });
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    await this.#serialized(key, async () => {
      this.#written.delete(key);
      await this.#inner.delete(key);
    });
  }

  /** Seals each value and passes the batch on, holding every key's lock (taken in key order). */
  async #batch(inner: Storage, writes: readonly BatchWrite[]): Promise<void> {
    const sealed = writes.map((write) => ({ ...write, value: write.value === undefined ? undefined : this.#seal(write.key, write.value) }));
    const keys = [...new Set(writes.map(({ key }) => key))].sort();
    const run = async (index: number): Promise<void> => {
      if (index < keys.length) return this.#serialized(keys[index]!, () => run(index + 1));
      for (const { key } of writes) this.#written.delete(key);
      await inner.batch!(sealed);
      writes.forEach(({ key, value }, i) => value !== undefined && this.#remember(key, value, sealed[i]!.value!));
    };
    await run(0);
  }

  #remember(key: string, plaintext: Uint8Array, sealed: Uint8Array): void {
    if (this.#written.size >= REMEMBERED_WRITES) this.#written.delete(this.#written.keys().next().value!);
    this.#written.set(key, { plaintext: plaintext.slice(), sealed });
  }

  /** @inheritdoc */
  list(prefix: string): Promise<string[]> {
    return this.#inner.list(prefix);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    await this.#inner.close?.();
  }

  /**
   * Rewrites every record under `prefix` that is sealed with a key other than the active one, so an
   * old key can be removed from the keyring afterwards. Safe while this engine runs (writes through
   * this barrier to the same key are serialized with it); run it from one process at a time.
   *
   * @returns how many records were rewritten
   * @throws EncryptionError when a record cannot be decrypted with the keyring
   */
  async reencrypt(prefix = ""): Promise<number> {
    let rewritten = 0;
    for (const key of await this.#inner.list(prefix)) {
      const changed = await this.#serialized(key, async () => {
        const sealed = await this.#inner.get(key);
        if (sealed === undefined) return false;
        const { keyId, plaintext } = this.#open(key, sealed);
        if (keyId === this.#activeKeyId) return false;
        await this.#inner.put(key, this.#seal(key, plaintext)); // no options: keeps the record's due time
        return true;
      });
      if (changed) rewritten++;
    }
    return rewritten;
  }

  /**
   * Encrypts in place every record under `prefix` that is still in clear: storage an engine wrote
   * without the barrier (before durable storage required a key, or while opted out). Records
   * already sealed are left as they are, so a run cut short is finished by running it again.
   * Run it before opening engines on the storage, from one process.
   *
   * A record counts as sealed when it starts with this format's version byte (1); the engine's
   * records in clear are JSON text, which never does.
   *
   * @returns how many records were encrypted
   */
  async encryptExisting(prefix = ""): Promise<number> {
    let encrypted = 0;
    for (const key of await this.#inner.list(prefix)) {
      const changed = await this.#serialized(key, async () => {
        const value = await this.#inner.get(key);
        if (value === undefined || value[0] === FORMAT_VERSION) return false;
        await this.#inner.put(key, this.#seal(key, value)); // no options: keeps the record's due time
        return true;
      });
      if (changed) encrypted++;
    }
    return encrypted;
  }

  /**
   * Runs `work` holding every key's turn at once (as {@link EncryptedStorage.delete} holds one), so
   * a re-encryption in flight never writes back a record deleted under it. Each key's turn is
   * queued in the same synchronous step, so two such runs never wait on each other crosswise.
   */
  async #serializedAll(keys: readonly string[], work: () => Promise<void>): Promise<void> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const held: Promise<void>[] = [];
    const turns = [...new Set(keys)].map((key) => new Promise<void>((taken) => held.push(this.#locks.run(key, () => (taken(), done)))));
    await Promise.all(turns);
    try {
      await work();
    } finally {
      release();
      await Promise.all(held);
    }
  }

  #seal(key: string, plaintext: Uint8Array): Uint8Array {
    const keyId = this.#activeKeyId;
    const header = headerFor(keyId);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#keys.get(keyId)!, iv);
    cipher.setAAD(additionalData(header, key));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
  }

  #open(key: string, sealed: Uint8Array): { keyId: string; plaintext: Uint8Array } {
    const record = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (record.length < 2 || record[0] !== FORMAT_VERSION) {
      throw new EncryptionError(`the record at ${JSON.stringify(key)} is not sealed by this barrier (or uses an unknown format)`);
    }
    const idLength = record[1]!;
    const headerLength = 2 + idLength;
    if (record.length < headerLength + IV_BYTES + TAG_BYTES) {
      throw new EncryptionError(`the record at ${JSON.stringify(key)} is truncated`);
    }
    const header = record.subarray(0, headerLength);
    const keyId = header.subarray(2).toString("utf8");
    const secret = this.#keys.get(keyId);
    if (!secret) {
      throw new EncryptionError(`the record at ${JSON.stringify(key)} was sealed with key ${JSON.stringify(keyId)}, which is not in the keyring`);
    }
    const iv = record.subarray(headerLength, headerLength + IV_BYTES);
    const body = record.subarray(headerLength + IV_BYTES, record.length - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", secret, iv);
    decipher.setAAD(additionalData(header, key));
    decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
    try {
      return { keyId, plaintext: new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()])) };
    } catch (err) {
      throw new EncryptionError(
        `the record at ${JSON.stringify(key)} failed authentication with key ${JSON.stringify(keyId)}: wrong key, or the record was altered or moved`,
        { cause: err },
      );
    }
  }

  /**
   * Sealing is randomized, so the plaintext is compared here and the inner storage swaps the exact
   * sealed bytes it holds: a concurrent writer (another process) makes that swap fail. When the
   * expected value is what this barrier last wrote there, the swap is tried against those sealed
   * bytes first, without reading (see `#written`). With `present`, the inner storage checks those
   * keys in the same step (`compareAndSwapIfPresent`).
   */
  async #compareAndSwap(
    inner: Storage,
    key: string,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
    options?: PutOptions,
    present?: readonly string[],
  ): Promise<boolean> {
    const swap = (current: Uint8Array | undefined, sealedNext: Uint8Array | undefined): Promise<boolean> =>
      present
        ? inner.compareAndSwapIfPresent!(key, current, sealedNext, present, options)
        : options
          ? inner.compareAndSwap!(key, current, sealedNext, options)
          : inner.compareAndSwap!(key, current, sealedNext);
    return this.#serialized(key, async () => {
      const sealedNext = next === undefined ? undefined : this.#seal(key, next);
      const written = this.#written.get(key);
      this.#written.delete(key);
      if (written && sameBytes(written.plaintext, expected)) {
        if (await swap(written.sealed, sealedNext)) return this.#swapped(key, next, sealedNext);
      }
      const sealed = await inner.get(key);
      const current = sealed === undefined ? undefined : this.#open(key, sealed).plaintext;
      if (!sameBytes(current, expected)) return false;
      return (await swap(sealed, sealedNext)) && this.#swapped(key, next, sealedNext);
    });
  }

  /** Remembers the value a swap stored; always `true`. */
  #swapped(key: string, next: Uint8Array | undefined, sealedNext: Uint8Array | undefined): true {
    if (next !== undefined) this.#remember(key, next, sealedNext!);
    return true;
  }

  /** Runs `work` after every earlier write to `key` through this barrier. */
  #serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.#locks.run(key, work);
  }
}

function validateKeyring(keyring: Keyring): Map<string, Buffer> {
  if (!keyring || typeof keyring !== "object" || !keyring.keys || typeof keyring.keys !== "object") {
    throw new InvalidRequestError("EncryptedStorage needs a keyring: { activeKeyId, keys: { [id]: 32-byte key } }");
  }
  const keys = new Map<string, Buffer>();
  for (const [id, key] of Object.entries(keyring.keys)) {
    if (!KEY_ID.test(id)) throw new InvalidRequestError(`key id ${JSON.stringify(id)} must be 1-64 characters of [A-Za-z0-9._-]`);
    if (!(key instanceof Uint8Array) || key.byteLength !== 32) {
      throw new InvalidRequestError(`key ${JSON.stringify(id)} must be exactly 32 bytes (AES-256)`);
    }
    keys.set(id, Buffer.from(key)); // a private copy: the host may wipe its buffer
  }
  if (typeof keyring.activeKeyId !== "string" || !keys.has(keyring.activeKeyId)) {
    throw new InvalidRequestError(`the active key id ${JSON.stringify(keyring.activeKeyId)} is not in the keyring`);
  }
  return keys;
}

function headerFor(keyId: string): Buffer {
  const id = Buffer.from(keyId, "utf8");
  return Buffer.concat([Buffer.from([FORMAT_VERSION, id.length]), id]);
}

/** Binds a sealed record to its format, key id and storage key. */
function additionalData(header: Buffer, key: string): Buffer {
  return Buffer.concat([header, Buffer.from(key, "utf8")]);
}
