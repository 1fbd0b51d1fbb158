/**
 * The `file` audit device: JSON lines appended to a file.
 *
 * @module
 */
import { open, type FileHandle } from "node:fs/promises";
import type { AuditDevice } from "./audit-device.js";
import type { AuditEntry } from "./audit-entry.js";

interface PendingLine {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Appends one JSON line per entry. Entries that arrive while a write is in flight are grouped into
 * the next single write (group commit), so concurrent requests share one system call; each
 * request's promise still resolves only after the write that holds its line has been handed to the
 * OS, so a request never completes before its entry is written.
 */
export class FileAuditDevice implements AuditDevice {
  readonly #handle: FileHandle;
  #pending: PendingLine[] = [];
  #flushing: Promise<void> | undefined;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /**
   * Opens (creating if needed) the file for appending.
   *
   * @param path - the file's path
   * @param mode - permission bits for a new file (default `0o600`: audit logs are sensitive)
   */
  static async open(path: string, mode = 0o600): Promise<FileAuditDevice> {
    return new FileAuditDevice(await open(path, "a", mode));
  }

  write(entry: AuditEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ line, resolve, reject });
      this.#flushing ??= this.#flush().finally(() => (this.#flushing = undefined));
    });
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#handle.close();
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        await this.#handle.appendFile(batch.map((item) => item.line).join(""));
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
  }
}
