/**
 * Read-modify-write of one record that no concurrent writer can interleave with, across
 * processes when the storage can compare-and-swap, within this process otherwise.
 *
 * @module
 */
import { StorageError } from "../errors.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import type { PutOptions, Storage } from "./storage.js";

/**
 * What an update function decides for the record it was shown: the new value (`undefined`
 * deletes it), or {@link UNCHANGED} to leave it as it is and write nothing.
 */
export const UNCHANGED: unique symbol = Symbol("unchanged");

/** The answer of an update function: the next value, `undefined` to delete, or {@link UNCHANGED}. */
export type UpdateDecision = Uint8Array | undefined | typeof UNCHANGED;

/**
 * Conflicts tolerated before giving up. Each conflict means another writer's update landed, so
 * the loop always makes global progress; the bound only stops a livelock from becoming a hang.
 */
const MAX_ATTEMPTS = 1000;

/** Per-storage locks for storages without compare-and-swap (single-process ones). */
const localLocks = new WeakMap<Storage, KeyedMutex>();

/**
 * Applies `decide` to the current value at `key` and stores its answer atomically: when another
 * writer changed the record in between, `decide` is called again on the value it wrote. `decide`
 * must be pure (it may run several times). Resolves to the value `decide` saw last and its answer.
 * `options` apply to a value written (as in {@link Storage.put}), e.g. a lease record's due time.
 *
 * @throws StorageError when the record kept changing under {@link MAX_ATTEMPTS} attempts
 */
export async function atomicUpdate(
  storage: Storage,
  key: string,
  decide: (current: Uint8Array | undefined) => UpdateDecision,
  options?: PutOptions,
): Promise<{ previous: Uint8Array | undefined; decision: UpdateDecision }> {
  if (!storage.compareAndSwap) return lockOf(storage).run(key, () => readAndWrite(storage, key, decide, options));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const previous = await storage.get(key);
    const decision = decide(previous);
    if (decision === UNCHANGED) return { previous, decision };
    const swapped = options ? await storage.compareAndSwap(key, previous, decision, options) : await storage.compareAndSwap(key, previous, decision);
    if (swapped) return { previous, decision };
  }
  throw new StorageError(`updating a record failed: it changed under ${MAX_ATTEMPTS} consecutive attempts`);
}

async function readAndWrite(
  storage: Storage,
  key: string,
  decide: (current: Uint8Array | undefined) => UpdateDecision,
  options: PutOptions | undefined,
): Promise<{ previous: Uint8Array | undefined; decision: UpdateDecision }> {
  const previous = await storage.get(key);
  const decision = decide(previous);
  if (decision === UNCHANGED) return { previous, decision };
  if (decision === undefined) await storage.delete(key);
  else await (options ? storage.put(key, decision, options) : storage.put(key, decision));
  return { previous, decision };
}

/**
 * Deletes `key` in turn with {@link atomicUpdate}s of it on a storage without compare-and-swap,
 * so that an update's read and write never straddle the deletion (which would bring the record
 * back); with compare-and-swap a plain delete is safe (the update's swap then fails and retries).
 */
export async function atomicDelete(storage: Storage, key: string): Promise<void> {
  if (storage.compareAndSwap) return storage.delete(key);
  await lockOf(storage).run(key, () => storage.delete(key));
}

function lockOf(storage: Storage): KeyedMutex {
  let lock = localLocks.get(storage);
  if (!lock) localLocks.set(storage, (lock = new KeyedMutex()));
  return lock;
}

/** Whether two optional byte strings are equal (both absent counts as equal). */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
