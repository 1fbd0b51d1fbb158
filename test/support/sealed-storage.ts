/**
 * Durable storage as tests open it: behind the one test key, as `Engine.open` requires (durable
 * storage needs an encryption key). Tests that read the records back through the same wrapper see
 * plaintext; tests about the raw bytes read the storage underneath.
 *
 * Kept free of vitest so that the child processes of the multi-process tests can import it.
 */
import { EncryptedStorage, type Keyring, type Storage } from "../../src/index.js";

/** The keyring every test's durable storage is encrypted with (a fixed key: tests only). */
export const TEST_KEYRING: Keyring = { activeKeyId: "test", keys: { test: new Uint8Array(32).fill(7) } };

/** `storage` behind {@link TEST_KEYRING}. */
export function sealedForTest(storage: Storage): EncryptedStorage {
  return new EncryptedStorage(storage, TEST_KEYRING);
}
