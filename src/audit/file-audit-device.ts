/**
 * The `file` audit device: JSON lines appended to a file.
 *
 * @module
 */
import { writeSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import type { AuditDevice } from "./audit-device.js";
import type { AuditEntry } from "./audit-entry.js";

interface PendingLine {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Appends one JSON line per entry. Lines that arrive in the same turn of the event loop are
 * grouped into one `write(2)` (group commit), made synchronously when that turn's microtasks run:
 * each request's promise resolves only after the write holding its line has returned, so a request
 * never completes before its entry is in the OS. (Each line is not `fsync`ed, as in Vault.)
 *
 * Why synchronous: a write of a few kilobytes to the page cache takes microseconds, while handing
 * it to libuv's thread pool costs more than the write itself — it cost ~10% of creds throughput in
 * `bench/audit.ts`. On a filesystem where writes can stall (network storage), prefer a `stream`
 * device with a sink that does its own buffering.
 */
export class FileAuditDevice implements AuditDevice {
  readonly #handle: FileHandle;
  #pending: PendingLine[] = [];
  #closed = false;

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
    if (this.#closed) return Promise.reject(new Error("audit file is closed"));
    const line = `${JSON.stringify(entry)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ line, resolve, reject });
      if (this.#pending.length === 1) queueMicrotask(() => this.#flush());
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    await this.#handle.close();
  }

  #flush(): void {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    try {
      writeFully(this.#handle.fd, Buffer.from(batch.length === 1 ? batch[0]!.line : batch.map((item) => item.line).join("")));
      for (const item of batch) item.resolve();
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }
}

/** Writes all of `bytes` (a write may be partial, e.g. on a full disk it then throws ENOSPC). */
function writeFully(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
