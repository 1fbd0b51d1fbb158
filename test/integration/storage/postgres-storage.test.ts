import { describe, expect, it, vi } from "vitest";
import pg from "pg";
import { randomBytes } from "node:crypto";
import { EncryptedStorage, InvalidRequestError, PostgresStorage, StorageError, StorageExposedError } from "../../../src/index.js";
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

storageContract("PostgresStorage (connectionString, preparedStatements: false)", async () => {
  const table = `unprepared_${++tables}`;
  return {
    storage: new PostgresStorage({ connectionString: db.url, table, preparedStatements: false }),
    reopen: () => new PostgresStorage({ connectionString: db.url, table, preparedStatements: false }),
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

describe("PostgresStorage, concurrent requests combined into one statement per run", () => {
  const b = (text: string) => new TextEncoder().encode(text);

  it("answers each of many concurrent reads, batches and guarded swaps as if it ran alone, in fewer statements", async () => {
    const storage = new PostgresStorage({ connectionString: db.url, table: `coalesced_${++tables}`, maxConnections: 8 });
    await storage.put("token/present", b("t"));
    await Promise.all(Array.from({ length: 40 }, (_, i) => storage.put(`lease/${i}`, b(`pending ${i}`))));
    const sent = vi.spyOn(pg.Pool.prototype, "query");
    try {
      const swaps = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          storage.compareAndSwapIfPresent(
            `lease/${i}`,
            b(i % 4 === 1 ? "not what is stored" : `pending ${i}`),
            b(`active ${i}`),
            i % 4 === 2 ? ["token/present", "token/missing"] : ["token/present"],
            i % 4 === 3 ? { dueAt: 1000 + i } : undefined,
          ),
        ),
      );
      expect(swaps).toEqual(Array.from({ length: 40 }, (_, i) => i % 4 === 0 || i % 4 === 3));
      const reads = await Promise.all(Array.from({ length: 40 }, (_, i) => storage.get(`lease/${i}`)));
      expect(reads.map((value) => new TextDecoder().decode(value))).toEqual(
        Array.from({ length: 40 }, (_, i) => (i % 4 === 0 || i % 4 === 3 ? `active ${i}` : `pending ${i}`)),
      );
      await Promise.all(Array.from({ length: 40 }, (_, i) => storage.batch([{ key: `lease/${i}`, value: undefined }, { key: `index/${i}`, value: b(String(i)) }])));
      expect(await storage.list("lease/")).toEqual([]);
      expect((await storage.list("index/")).length).toBe(40);
      expect(sent.mock.calls.length).toBeLessThan(60); // 120 operations
    } finally {
      sent.mockRestore();
      await storage.close();
    }
  });

  it("a request the database refuses fails alone, never the others it would have shared a statement with", async () => {
    const storage = new PostgresStorage({ connectionString: db.url, table: `coalesced_${++tables}`, maxConnections: 8 });
    try {
      // text cannot hold NUL: PostgreSQL refuses the whole statement that carries this key
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => storage.batch([{ key: i === 7 ? "bad\u0000key" : `fine/${i}`, value: b(String(i)) }])),
      );
      expect(results.map((result) => result.status)).toEqual(Array.from({ length: 12 }, (_, i) => (i === 7 ? "rejected" : "fulfilled")));
      expect((results[7] as PromiseRejectedResult).reason).toBeInstanceOf(StorageError);
      expect(await storage.list("fine/")).toHaveLength(11);
    } finally {
      await storage.close();
    }
  });

  it("never combines two requests on one key: of concurrent swaps from one value, exactly one wins, and batches keep their order", async () => {
    const storage = new PostgresStorage({ connectionString: db.url, table: `coalesced_${++tables}`, maxConnections: 8 });
    try {
      await storage.put("token", b("t"));
      await storage.put("k", b("v0"));
      const wins = await Promise.all(Array.from({ length: 12 }, (_, i) => storage.compareAndSwapIfPresent("k", b("v0"), b(`v${i + 1}`), ["token"])));
      expect(wins.filter(Boolean)).toHaveLength(1);
      await Promise.all(Array.from({ length: 12 }, (_, i) => storage.batch([{ key: "ordered", value: b(String(i)) }])));
      expect(new TextDecoder().decode(await storage.get("ordered"))).toBe("11");
    } finally {
      await storage.close();
    }
  });
});

describe("PostgresStorage", () => {
  it("sends its parameterized statements to its own pool as named prepared statements, unless told not to", async () => {
    const sent = vi.spyOn(pg.Pool.prototype, "query");
    try {
      for (const preparedStatements of [true, false]) {
        sent.mockClear();
        const storage = new PostgresStorage({ connectionString: db.url, table: `prepared_${preparedStatements}`, preparedStatements });
        for (let i = 0; i < 3; i++) {
          await storage.put(`k${i}`, new Uint8Array([i]));
          expect(await storage.get(`k${i}`)).toEqual(new Uint8Array([i]));
        }
        await storage.close();
        // Each call of put and get: the statement's text, and its name when prepared.
        const calls = sent.mock.calls.map(([query]) => (typeof query === "object" && query !== null ? (query as { text: string; name?: string }) : { text: String(query) }));
        const hot = calls.filter(({ text }) => /^(INSERT INTO|SELECT value FROM)/.test(text.trim()));
        expect(hot).toHaveLength(6);
        expect(new Set(hot.map(({ name }) => name))).toEqual(preparedStatements ? new Set([hot[0]!.name, hot[1]!.name]) : new Set([undefined]));
        if (preparedStatements) expect(hot[0]!.name).not.toBe(hot[1]!.name);
      }
    } finally {
      sent.mockRestore();
    }
  });

  it("creates its table when missing, and leaves the host's pool open on close", async () => {
    const storage = new PostgresStorage({ pool: db.pool, table: "created_on_demand" });
    await storage.put("k", new Uint8Array([1]));
    await storage.close();
    const { rows } = await db.query("SELECT key FROM vaultlet.created_on_demand");
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
    // an option that would do nothing with a host's pool is refused, not ignored
    expect(() => new PostgresStorage({ pool: db.pool, preparedStatements: false } as never)).toThrow(/preparedStatements applies to the storage's own pool/);
    const storage = new PostgresStorage({ connectionString: "postgresql://u:sekrit-pw@127.0.0.1:1/none" });
    const failure = await storage.get("k").catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(StorageError);
    expect(String((failure as Error).message)).not.toContain("sekrit-pw");
    await storage.close();
  });
});

describe("PostgresStorage keeps its tables where PUBLIC cannot reach them", () => {
  async function publicCan(what: "table" | "schema", name: string, privilege: string): Promise<boolean> {
    const check = what === "table" ? "has_table_privilege" : "has_schema_privilege";
    const { rows } = await db.query<{ can: boolean }>(`SELECT ${check}('public', $1, $2) AS can`, [name, privilege]);
    return rows[0]!.can;
  }

  it("creates schema vaultlet by default, with no privilege for PUBLIC on it or on either table", async () => {
    const storage = new PostgresStorage({ pool: db.pool, table: "private_default" });
    await storage.put("k", new Uint8Array([1]));
    await storage.close();
    const { rows } = await db.query<{ schema: string }>(
      "SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'private_default'",
    );
    expect(rows).toEqual([{ schema: "vaultlet" }]);
    expect(await publicCan("schema", "vaultlet", "USAGE")).toBe(false);
    expect(await publicCan("schema", "vaultlet", "CREATE")).toBe(false);
    for (const table of ["vaultlet.private_default", "vaultlet.private_default_version"]) {
      expect(await publicCan("table", table, "SELECT")).toBe(false);
      expect(await publicCan("table", table, "INSERT")).toBe(false);
    }
  });

  it("refuses a table PUBLIC may read or write, by table or by column, and opens again once revoked", async () => {
    const storage = new PostgresStorage({ pool: db.pool, table: "made_public" });
    await storage.put("k", new Uint8Array([1]));
    await storage.close();
    for (const grant of [
      "GRANT SELECT ON vaultlet.made_public TO PUBLIC",
      "GRANT UPDATE ON vaultlet.made_public_version TO PUBLIC",
      "GRANT SELECT (value) ON vaultlet.made_public TO PUBLIC",
    ]) {
      await db.query(grant);
      const reopened = new PostgresStorage({ pool: db.pool, table: "made_public" });
      const failure = await reopened.get("k").catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(StorageExposedError);
      expect(failure).toBeInstanceOf(StorageError);
      expect((failure as StorageExposedError).code).toBe("storage_exposed");
      expect((failure as Error).message).toMatch(/REVOKE ALL ON "vaultlet"\."made_public/);
      await db.query("REVOKE ALL ON vaultlet.made_public, vaultlet.made_public_version FROM PUBLIC");
      expect(await reopened.get("k")).toEqual(new Uint8Array([1]));
      await reopened.close();
    }
  });

  it("refuses a schema PUBLIC may use: schema public itself, and a host schema opened to PUBLIC", async () => {
    const inPublic = new PostgresStorage({ pool: db.pool, table: "in_public", schema: "public" });
    await expect(inPublic.get("k")).rejects.toThrow(StorageExposedError);
    await inPublic.close();
    await db.query(`CREATE SCHEMA opened; GRANT USAGE ON SCHEMA opened TO PUBLIC`);
    const opened = new PostgresStorage({ pool: db.pool, table: "t", schema: "opened" });
    await expect(opened.get("k")).rejects.toThrow(/REVOKE ALL ON SCHEMA "opened" FROM PUBLIC/);
    await db.query(`REVOKE ALL ON SCHEMA opened FROM PUBLIC`);
    expect(await opened.get("k")).toBeUndefined();
    await opened.close();
  });

  it("creates a missing explicit schema privately, and never changes an existing one", async () => {
    const created = new PostgresStorage({ pool: db.pool, table: "t", schema: "made_by_storage" });
    await created.put("k", new Uint8Array([1]));
    await created.close();
    expect(await publicCan("schema", "made_by_storage", "USAGE")).toBe(false);
  });

  it("refuses to start empty beside a table an earlier version left in public, and says how to move it", async () => {
    // What the earlier default created: both tables on the search_path.
    await db.query(`CREATE TABLE public.legacy_storage (key text COLLATE "C" PRIMARY KEY, value bytea NOT NULL, due_at bigint, claim_owner text, claim_until bigint);
      CREATE TABLE public.legacy_storage_version (id int PRIMARY KEY, version bigint NOT NULL);
      INSERT INTO public.legacy_storage (key, value) VALUES ('core/init', '\\x01'); INSERT INTO public.legacy_storage_version VALUES (1, 0)`);
    const storage = new PostgresStorage({ pool: db.pool, table: "legacy_storage" });
    const failure = (await storage.get("core/init").catch((err: unknown) => err)) as Error;
    expect(failure).toBeInstanceOf(StorageExposedError);
    expect(failure.message).toContain(`ALTER TABLE "public"."legacy_storage" SET SCHEMA "vaultlet"`);
    expect((await db.query("SELECT to_regclass('vaultlet.legacy_storage') AS t")).rows[0]!.t).toBeNull(); // nothing created beside it
    // The statements the message gives move it, records and all.
    await db.query(`CREATE SCHEMA IF NOT EXISTS "vaultlet"; REVOKE ALL ON SCHEMA "vaultlet" FROM PUBLIC;
      ALTER TABLE "public"."legacy_storage" SET SCHEMA "vaultlet"; ALTER TABLE IF EXISTS "public"."legacy_storage_version" SET SCHEMA "vaultlet"`);
    expect(await storage.get("core/init")).toEqual(new Uint8Array([1]));
    await storage.close();
  });
});
