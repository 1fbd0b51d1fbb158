/**
 * The engine's rule for secrets at rest: durable storage holds them encrypted unless the host
 * opts out by name. See `docs/security.md`, "Secrets at rest".
 *
 * @module
 */
import { InvalidRequestError, UnencryptedStorageError } from "../errors.js";
import { EncryptedStorage, type Keyring } from "./encrypted-storage.js";
import type { Storage } from "./storage.js";

/** The options of `Engine.open` that decide how its storage keeps secrets at rest. */
export interface AtRestOptions {
  /**
   * The key that encrypts every record before it reaches durable storage (AES-256-GCM through
   * {@link EncryptedStorage}): 32 bytes, kept by the host outside the storage (a secret manager,
   * an environment variable, a KMS-unwrapped key). A bare key has the key id `"default"`; pass a
   * {@link Keyring} to rotate. Not needed for `MemoryStorage` nor for a storage that is already
   * an `EncryptedStorage`.
   */
  encryptionKey?: Uint8Array | Keyring;
  /**
   * The explicit opt-out: `true` lets durable storage hold root and static-role passwords,
   * pending rotation passwords and the token and audit HMAC keys in clear. Only for storage
   * nothing but this host can read, or for data that is worthless (throw-away environments).
   */
  allowUnencryptedStorage?: boolean;
}

/** The key id a bare {@link AtRestOptions.encryptionKey} gets. */
export const DEFAULT_KEY_ID = "default";

/**
 * The storage the engine should use: `storage` itself when it is volatile, already encrypted or
 * opted out; wrapped in an {@link EncryptedStorage} when a key is given.
 *
 * @throws UnencryptedStorageError for durable storage with neither a key nor the opt-out
 * @throws InvalidRequestError for contradictory options (a key and the opt-out, or a key for a
 *   storage that is already encrypted) or a malformed key
 */
export function protectAtRest(storage: Storage, options: AtRestOptions): Storage {
  const { encryptionKey, allowUnencryptedStorage } = options;
  if (encryptionKey !== undefined && allowUnencryptedStorage) {
    throw new InvalidRequestError("encryptionKey and allowUnencryptedStorage contradict each other: pass one");
  }
  if (encryptionKey !== undefined) {
    if (storage.atRest === "encrypted") {
      throw new InvalidRequestError("the storage is already encrypted: drop encryptionKey (it would encrypt every record twice)");
    }
    return new EncryptedStorage(storage, toKeyring(encryptionKey));
  }
  if (storage.atRest !== undefined || allowUnencryptedStorage === true) return storage;
  throw new UnencryptedStorageError();
}

function toKeyring(key: Uint8Array | Keyring): Keyring {
  return key instanceof Uint8Array ? { activeKeyId: DEFAULT_KEY_ID, keys: { [DEFAULT_KEY_ID]: key } } : key;
}
