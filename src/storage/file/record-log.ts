/**
 * An append-only, checksummed record log with an in-memory index: how {@link FileStorage} keeps a
 * million lease records in one file instead of a million files.
 *
 * Each frame is `u32 body length ‖ u32 CRC-32 of the body ‖ body`, the body being
 * `u8 op (1 put, 2 delete) ‖ u16 key length ‖ key (UTF-8) ‖ value`. Every append is fsynced before
 * it resolves. On open the log is read once, front to back, to rebuild the index (key → offset and
 * length of its latest value); a torn or corrupt frame at the end (a crash mid-append) is cut off,
 * so a record is either wholly there or not at all. When dead frames outweigh live ones the log is
 * compacted: live records are copied to a new file, fsynced, and renamed over the old one.
 *
 * @module
 */
import { open, rename, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { crc32 } from "../../util/crc32.js";
import { InvalidRequestError } from "../../errors.js";
import { syncFolder } from "./sync-folder.js";
import { makePrivate, PRIVATE_FILE } from "./private-mode.js";
import { RecentValues } from "./recent-values.js";

const PUT = 1;
const DELETE = 2;
const FRAME_HEADER = 8;
const BODY_HEADER = 3;
/** Compact when the log holds more than this many bytes and over half of them are dead. */
const COMPACT_MIN_BYTES = 1 << 20;
/** getMany reads neighbouring values together when they are at most this far apart… */
const MAX_READ_GAP = 16 << 10;
/** …and the whole read stays under this size. */
const MAX_READ_SPAN = 4 << 20;

interface Slot {
  offset: number;
  length: number;
}

/** One log file and its index. Use through {@link RecordLog.open}. */
export class RecordLog {
  readonly #path: string;
  #file: FileHandle;
  #size: number;
  #liveBytes = 0;
  readonly #index = new Map<string, Slot>();
  #tail: Promise<unknown> = Promise.resolve();
  /** Writes waiting for the next append (see {@link RecordLog.writeInOrder}). */
  readonly #waiting: Array<{ writes: ReadonlyArray<readonly [string, Uint8Array | undefined]>; resolve: () => void; reject: (err: unknown) => void }> = [];
  /** Whether an append of the waiting writes is queued behind the work under way. */
  #appendQueued = false;
  /** Values appended lately, so that reading one back needs no read from the file. */
  readonly #recent = new RecentValues();
  /** Handles replaced by a compaction; reads started before it may still use them. */
  #retired: FileHandle[] = [];

  private constructor(path: string, file: FileHandle, size: number) {
    this.#path = path;
    this.#file = file;
    this.#size = size;
  }

  /** Opens (or creates) the log at `path` and rebuilds its index, cutting off a torn tail. */
  static async open(path: string): Promise<RecordLog> {
    await (await open(path, "a", PRIVATE_FILE)).close(); // create if missing; positional writes need r+, not append mode
    await makePrivate(path, PRIVATE_FILE); // a log an earlier version or a copy left readable by others
    const file = await open(path, "r+");
    const log = new RecordLog(path, file, 0);
    await log.#replay();
    return log;
  }

  /** The keys in the log (unordered). */
  keys(): IterableIterator<string> {
    return this.#index.keys();
  }

  /** Whether the log holds `key`. */
  has(key: string): boolean {
    return this.#index.has(key);
  }

  /** The latest value of `key`, or `undefined`. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const slot = this.#index.get(key);
    const file = this.#file; // taken together with the slot: a compaction swaps both at once
    if (!slot) return undefined;
    const recent = this.#recent.get(key); // kept with the index, so it is the value of this slot
    if (recent) return recent;
    const value = new Uint8Array(slot.length);
    await file.read(value, 0, slot.length, slot.offset);
    return value;
  }

  /**
   * The latest values of `keys`, in order. Values close together in the file are read with one
   * read call: restoring a million leases takes a thousand reads, not a million.
   */
  async getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    const file = this.#file; // taken together with the slots, as in get()
    const wanted = keys.map((key, position) => ({ position, slot: this.#index.get(key) }));
    const found = wanted.filter((entry): entry is { position: number; slot: Slot } => entry.slot !== undefined);
    found.sort((a, b) => a.slot.offset - b.slot.offset);
    const values: Array<Uint8Array | undefined> = new Array(keys.length).fill(undefined);
    for (let start = 0; start < found.length; ) {
      let end = start + 1;
      const from = found[start]!.slot.offset;
      let to = from + found[start]!.slot.length;
      while (end < found.length && found[end]!.slot.offset - to <= MAX_READ_GAP && found[end]!.slot.offset + found[end]!.slot.length - from <= MAX_READ_SPAN) {
        to = Math.max(to, found[end]!.slot.offset + found[end]!.slot.length);
        end++;
      }
      const span = Buffer.alloc(to - from);
      await file.read(span, 0, span.length, from);
      for (let i = start; i < end; i++) {
        const { position, slot } = found[i]!;
        values[position] = new Uint8Array(span.subarray(slot.offset - from, slot.offset - from + slot.length));
      }
      start = end;
    }
    return values;
  }

  /** Appends a new value for `key` (durable when this resolves). */
  put(key: string, value: Uint8Array): Promise<void> {
    return this.writeInOrder([[key, value]]);
  }

  /** Appends a deletion of `key`, if it exists (durable when this resolves). */
  delete(key: string): Promise<void> {
    return this.writeInOrder([[key, undefined]]);
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.#serialized(async () => {
      for (const file of this.#retired.splice(0)) await file.close();
      await this.#file.close();
    });
  }

  /**
   * Appends many puts with one write and one fsync: for bulk imports (and benchmarks' fixtures),
   * not for the engine, whose writes each need to be durable on their own.
   */
  putMany(entries: Iterable<[string, Uint8Array]>): Promise<void> {
    return this.#serialized(async () => {
      const frames: Buffer[] = [];
      const applied: Array<[string, Slot, number]> = [];
      let offset = this.#size;
      for (const [key, value] of entries) {
        const frame = encodeFrame(PUT, key, value);
        applied.push([key, { offset: offset + frame.length - value.byteLength, length: value.byteLength }, frame.length]);
        frames.push(frame);
        offset += frame.length;
      }
      const all = Buffer.concat(frames);
      await this.#file.write(all, 0, all.length, this.#size);
      await this.#file.datasync();
      this.#size += all.length;
      for (const [key, slot, length] of applied) this.#apply(PUT, key, slot, length);
    });
  }

  /**
   * Appends puts (a value) and deletions (`undefined`) in the order given with one write and one
   * fsync (durable when this resolves). A crash mid-write keeps a prefix of them: a torn frame and
   * everything after it are cut off at the next open.
   *
   * Group commit: writes that arrive while an append and its fsync are under way wait, and the
   * next append takes all of them, in arrival order, with one fsync, so concurrent writers share
   * the fsync instead of queueing for one each. Each caller still resolves only once its own
   * writes are durable; a crash keeps a prefix of the combined append, which is whole groups of
   * earlier callers and a prefix of one caller's writes, as before.
   */
  writeInOrder(writes: ReadonlyArray<readonly [string, Uint8Array | undefined]>): Promise<void> {
    // Checked here, not only when the frames are encoded: a key too long must fail its own caller,
    // never the others sharing its append.
    if (writes.some(([key]) => Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES)) return Promise.reject(keyTooLong());
    return new Promise((resolve, reject) => {
      this.#waiting.push({ writes, resolve, reject });
      if (this.#appendQueued) return;
      this.#appendQueued = true;
      void this.#serialized(() => this.#appendWaiting());
    });
  }

  /** Appends every waiting caller's writes together, then settles each caller. */
  async #appendWaiting(): Promise<void> {
    this.#appendQueued = false;
    const group = this.#waiting.splice(0);
    try {
      await this.#appendInOrder(group.flatMap(({ writes }) => writes));
    } catch (err) {
      for (const { reject } of group) reject(err);
      return;
    }
    for (const { resolve } of group) resolve();
  }

  async #appendInOrder(writes: ReadonlyArray<readonly [string, Uint8Array | undefined]>): Promise<void> {
    const frames: Buffer[] = [];
    const applied: Array<[number, string, Slot, number, Uint8Array]> = [];
    const written = new Map<string, boolean>(); // whether each key exists after this append's earlier writes
    const exists = (key: string) => written.get(key) ?? this.#index.has(key);
    let offset = this.#size;
    for (const [key, value] of writes) {
      if (value === undefined && !exists(key)) continue; // deleting a missing key writes nothing
      const op = value === undefined ? DELETE : PUT;
      const bytes = value ?? new Uint8Array();
      const frame = encodeFrame(op, key, bytes);
      applied.push([op, key, { offset: offset + frame.length - bytes.byteLength, length: bytes.byteLength }, frame.length, bytes]);
      frames.push(frame);
      offset += frame.length;
      written.set(key, op === PUT);
    }
    if (frames.length === 0) return;
    const all = Buffer.concat(frames);
    await this.#file.write(all, 0, all.length, this.#size);
    await this.#file.datasync();
    this.#size += all.length;
    for (const [op, key, slot, length, bytes] of applied) this.#apply(op, key, slot, length, bytes);
    if (this.#size > COMPACT_MIN_BYTES && this.#liveBytes * 2 < this.#size) await this.#compact();
  }

  /** Records a frame in the index; `value`: the bytes just appended, kept as recent (else the key is forgotten there). */
  #apply(op: number, key: string, slot: Slot, frameLength: number, value?: Uint8Array): void {
    if (op === PUT && value) this.#recent.remember(key, value);
    else this.#recent.forget(key);
    const previous = this.#index.get(key);
    if (previous) this.#liveBytes -= previous.length + FRAME_HEADER + BODY_HEADER + Buffer.byteLength(key);
    if (op === PUT) {
      this.#index.set(key, slot);
      this.#liveBytes += frameLength;
    } else {
      this.#index.delete(key);
    }
  }

  /** Reads every frame in order; stops (and truncates) at the first torn or corrupt one. */
  async #replay(): Promise<void> {
    const { size } = await this.#file.stat();
    const chunk = Buffer.alloc(Math.min(Math.max(size, FRAME_HEADER), 8 << 20));
    let buffer = Buffer.alloc(0);
    let bufferStart = 0; // file offset of buffer[0]
    let readAt = 0;
    let offset = 0;
    for (;;) {
      const need = (n: number) => offset + n <= bufferStart + buffer.length;
      while (!need(FRAME_HEADER) && readAt < size) ({ buffer, bufferStart, readAt } = await this.#refill(chunk, buffer, bufferStart, offset, readAt, size));
      if (!need(FRAME_HEADER)) break;
      const local = offset - bufferStart;
      const bodyLength = buffer.readUInt32BE(local);
      const checksum = buffer.readUInt32BE(local + 4);
      while (!need(FRAME_HEADER + bodyLength) && readAt < size) ({ buffer, bufferStart, readAt } = await this.#refill(chunk, buffer, bufferStart, offset, readAt, size));
      if (!need(FRAME_HEADER + bodyLength) || bodyLength < BODY_HEADER) break;
      const bodyAt = offset - bufferStart + FRAME_HEADER;
      const body = buffer.subarray(bodyAt, bodyAt + bodyLength);
      if (crc32(body) !== checksum) break;
      const op = body[0]!;
      const keyLength = body.readUInt16BE(1);
      if ((op !== PUT && op !== DELETE) || BODY_HEADER + keyLength > bodyLength) break;
      const key = body.subarray(BODY_HEADER, BODY_HEADER + keyLength).toString("utf8");
      const valueOffset = offset + FRAME_HEADER + BODY_HEADER + keyLength;
      this.#apply(op, key, { offset: valueOffset, length: bodyLength - BODY_HEADER - keyLength }, FRAME_HEADER + bodyLength);
      offset += FRAME_HEADER + bodyLength;
    }
    this.#size = offset;
    if (offset < size) {
      await this.#file.truncate(offset); // a crash mid-append: drop the torn frame
      await this.#file.sync();
    }
  }

  /** Keeps the unread part of `buffer` (from `offset`) and appends the next chunk of the file. */
  async #refill(chunk: Buffer, buffer: Buffer, bufferStart: number, offset: number, readAt: number, size: number) {
    const { bytesRead } = await this.#file.read(chunk, 0, Math.min(chunk.length, size - readAt), readAt);
    const kept = buffer.subarray(offset - bufferStart);
    return { buffer: Buffer.concat([kept, chunk.subarray(0, bytesRead)]), bufferStart: offset, readAt: readAt + bytesRead };
  }

  /** Copies the live records to a new file and renames it over the log. */
  async #compact(): Promise<void> {
    const temp = `${this.#path}.compact`;
    const next = await open(temp, "w+", PRIVATE_FILE);
    const slots = new Map<string, Slot>();
    let size = 0;
    try {
      await makePrivate(temp, PRIVATE_FILE); // a leftover of a crashed compaction keeps its own mode
      for (const [key, slot] of this.#index) {
        const value = new Uint8Array(slot.length);
        await this.#file.read(value, 0, slot.length, slot.offset);
        const frame = encodeFrame(PUT, key, value);
        await next.write(frame, 0, frame.length, size);
        slots.set(key, { offset: size + frame.length - value.byteLength, length: value.byteLength });
        size += frame.length;
      }
      await next.sync();
    } catch (err) {
      await next.close();
      throw err;
    }
    await rename(temp, this.#path);
    await syncFolder(dirname(this.#path));
    for (const file of this.#retired.splice(0)) await file.close(); // readers of the compaction before last are long done
    this.#retired.push(this.#file);
    this.#file = next;
    this.#size = size;
    this.#liveBytes = size;
    for (const [key, slot] of slots) this.#index.set(key, slot);
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.catch(() => undefined).then(work);
    this.#tail = run;
    return run;
  }
}

/** A frame's key length is a u16. */
const MAX_KEY_BYTES = 0xffff;

function keyTooLong(): InvalidRequestError {
  return new InvalidRequestError("a storage key is too long (over 65,535 bytes)");
}

/** `u32 body length ‖ u32 CRC-32 ‖ u8 op ‖ u16 key length ‖ key ‖ value`. */
function encodeFrame(op: number, key: string, value: Uint8Array): Buffer {
  const keyBytes = Buffer.from(key, "utf8");
  if (keyBytes.length > MAX_KEY_BYTES) throw keyTooLong();
  const frame = Buffer.alloc(FRAME_HEADER + BODY_HEADER + keyBytes.length + value.byteLength);
  const body = frame.subarray(FRAME_HEADER);
  body[0] = op;
  body.writeUInt16BE(keyBytes.length, 1);
  keyBytes.copy(body, BODY_HEADER);
  body.set(value, BODY_HEADER + keyBytes.length);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt32BE(crc32(body), 4);
  return frame;
}
