/**
 * Durable storages whose raw bytes a test can read underneath the engine: the files of a
 * `FileStorage` directory, the rows of a `PostgresStorage` table. For tests of what reaches disk.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { FileStorage, PostgresStorage, type Storage } from "../../src/index.js";
import type { TestDatabase } from "./database.js";

/** A durable storage: a factory of handles and every raw byte it holds (keys and values). */
export interface RawBackend {
  open(): Storage;
  rawBytes(): Promise<Buffer>;
}

/**
 * Makers of fresh raw backends for one test file, named with `prefix`; directories made are
 * removed after the file's tests.
 */
export function useRawBackends(db: TestDatabase, prefix: string): { fileBackend: () => Promise<RawBackend>; postgresBackend: () => Promise<RawBackend> } {
  const directories: string[] = [];
  let tables = 0;
  afterAll(async () => {
    await Promise.all(directories.map((path) => rm(path, { recursive: true, force: true })));
  });
  return {
    async fileBackend() {
      const path = await mkdtemp(join(tmpdir(), `vaultlet-${prefix}-`));
      directories.push(path);
      return { open: () => new FileStorage({ path }), rawBytes: async () => Buffer.concat(await filesUnder(path)) };
    },
    async postgresBackend() {
      const table = `${prefix}_${++tables}`;
      return {
        open: () => new PostgresStorage({ pool: db.pool, table }),
        rawBytes: async () => {
          const { rows } = await db.query<{ key: string; value: Buffer }>(`SELECT key, value FROM vaultlet.${table}`);
          return Buffer.concat(rows.flatMap((row) => [Buffer.from(row.key), row.value]));
        },
      };
    },
  };
}

/** Every name and file content under `dir`, recursively. */
async function filesUnder(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    out.push(Buffer.from(entry.name), ...(entry.isDirectory() ? await filesUnder(full) : [await readFile(full)]));
  }
  return out;
}
