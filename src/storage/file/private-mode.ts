/**
 * The modes that keep a `FileStorage` directory to its owner: the records include token
 * hashes and accessors, role and policy names, and (unsealed) connection passwords, so no other
 * local user may list or read them.
 *
 * @module
 */
import { chmod, stat } from "node:fs/promises";

/** Folders: the owner alone may list, enter and change them. */
export const PRIVATE_FOLDER = 0o700;
/** Files (records, the record log, the lock): the owner alone may read and write them. */
export const PRIVATE_FILE = 0o600;

/** Mode bits that give the owning group or other users any access. */
const SHARED_BITS = 0o077;

/**
 * Sets `path` to `mode` when its group or other users have any access: a folder made by an
 * earlier version (0755), a log or file copied in with a looser mode. POSIX modes mean nothing on
 * Windows, where this does nothing.
 *
 * @returns whether the mode had to be changed
 */
export async function makePrivate(path: string, mode: number): Promise<boolean> {
  if (process.platform === "win32") return false;
  const { mode: current } = await stat(path);
  if ((current & SHARED_BITS) === 0) return false;
  await chmod(path, mode);
  return true;
}
