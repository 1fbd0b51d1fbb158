/**
 * With the encrypting barrier on, the raw storage (files on disk, rows in PostgreSQL) holds neither
 * the connection password, nor a generated password, nor a token; without it, it would.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EncryptedStorage, EncryptionError, Engine, ManualClock, type AtRestOptions, type Storage } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { useRawBackends } from "../support/raw-storage.js";
import { openEngineFixture } from "../support/engine-fixture.js";

const db = useTestDatabase();
const { fileBackend, postgresBackend } = useRawBackends(db, "enc");

/** Uses the engine the way an app does and returns every secret it saw. */
async function secretsFrom(storage: Storage, atRest?: AtRestOptions): Promise<string[]> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const { engine, root, rootToken } = await openEngineFixture({ database: db, storage: storage, clock, atRest });
  try {
    await root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
    const { auth } = await root.write("auth/token/create", { policies: ["apps"] });
    const creds = await engine.client(auth!.client_token).read<{ password: string }>("database/creds/readonly");
    return [db.password, rootToken, auth!.client_token, creds.data!.password];
  } finally {
    await engine.close();
  }
}

function leaked(raw: Buffer, secrets: string[]): string[] {
  return secrets.filter((secret) => raw.includes(Buffer.from(secret)));
}

describe.each([
  ["FileStorage", fileBackend],
  ["PostgresStorage", postgresBackend],
])("encryption at rest on %s", (_name, makeBackend) => {
  it("opted out of the barrier, the connection password is in the raw storage (the check can fail)", async () => {
    const backend = await makeBackend();
    const secrets = await secretsFrom(backend.open(), { allowUnencryptedStorage: true });
    expect(leaked(await backend.rawBytes(), secrets)).toContain(db.password);
  });

  it("with the barrier no password or token is in the raw storage, and a wrong key fails typed", async () => {
    const backend = await makeBackend();
    const keyring = { activeKeyId: "k1", keys: { k1: randomBytes(32) } };
    const secrets = await secretsFrom(new EncryptedStorage(backend.open(), keyring));
    expect(secrets.every((secret) => secret.length >= 8)).toBe(true);
    expect(leaked(await backend.rawBytes(), secrets)).toEqual([]);

    const wrong = new EncryptedStorage(backend.open(), { activeKeyId: "k1", keys: { k1: randomBytes(32) } });
    await expect(Engine.open({ storage: wrong })).rejects.toBeInstanceOf(EncryptionError);
    await wrong.close();
    const reopened = await Engine.open({ storage: new EncryptedStorage(backend.open(), keyring) });
    expect(reopened.initialized).toBe(true);
    await reopened.close();
  });
});
