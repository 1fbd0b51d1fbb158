import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { EncryptedStorage, InvalidRequestError, PostgresStorage, StorageError } from "../../../src/index.js";
import { useTestDatabase } from "../../support/database.js";
import { storageContract } from "../../../src/testing/index.js";

const db = useTestDatabase();
let tables = 0;

storageContract("PostgresStorage (connectionString)", async () => {
  const table = `contract_${++tables}`;
  return {
    storage: new PostgresStorage({ connectionString: db.url, table }),
    reopen: () => new PostgresStorage({ connectionString: db.url, table }),
  };
});

storageContract("PostgresStorage (host pool, schema)", async () => {
  const table = `Pool "Table" ${++tables}`;
  await db.query(`CREATE SCHEMA IF NOT EXISTS "Host Schema"`);
  return {
    storage: new PostgresStorage({ pool: db.pool, table, schema: "Host Schema" }),
    reopen: () => new PostgresStorage({ pool: db.pool, table, schema: "Host Schema" }),
  };
});

storageContract("EncryptedStorage over PostgresStorage (claimDue and getMany through the barrier)", async () => {
  const table = `sealed_${++tables}`;
  const keyring = { activeKeyId: "k", keys: { k: randomBytes(32) } };
  return {
    storage: new EncryptedStorage(new PostgresStorage({ pool: db.pool, table }), keyring),
    reopen: () => new EncryptedStorage(new PostgresStorage({ pool: db.pool, table }), keyring),
  };
});

describe("PostgresStorage", () => {
  it("creates its table when missing, and leaves the host's pool open on close", async () => {
    const storage = new PostgresStorage({ pool: db.pool, table: "created_on_demand" });
    await storage.put("k", new Uint8Array([1]));
    await storage.close();
    const { rows } = await db.query("SELECT key FROM created_on_demand");
    expect(rows).toEqual([{ key: "k" }]);
  });

  it("several storages creating the same table at once all succeed", async () => {
    const storages = Array.from({ length: 4 }, () => new PostgresStorage({ connectionString: db.url, table: "raced" }));
    try {
      await Promise.all(storages.map((storage, i) => storage.put(`k${i}`, new Uint8Array([i]))));
      expect(await storages[0]!.list("")).toEqual(["k0", "k1", "k2", "k3"]);
    } finally {
      await Promise.all(storages.map((storage) => storage.close()));
    }
  });

  it("rejects bad options and reports an unreachable database with a StorageError free of the password", async () => {
    expect(() => new PostgresStorage({} as never)).toThrow(InvalidRequestError);
    expect(() => new PostgresStorage({ pool: db.pool, table: "" })).toThrow(InvalidRequestError);
    const storage = new PostgresStorage({ connectionString: "postgresql://u:sekrit-pw@127.0.0.1:1/none" });
    const failure = await storage.get("k").catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(StorageError);
    expect(String((failure as Error).message)).not.toContain("sekrit-pw");
    await storage.close();
  });
});
