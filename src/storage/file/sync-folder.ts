/**
 * @module
 */
import { open } from "node:fs/promises";

/**
 * fsyncs a folder, so that a file created, renamed or removed in it survives a crash: on POSIX
 * file systems the rename itself is only durable once its folder is synced.
 */
export async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
