/**
 * No secret in clear at rest by default: on FileStorage and PostgresStorage, an engine opened with
 * `encryptionKey` leaves none of the root password, a static role's password, either pending
 * rotation password, the token HMAC key or the audit HMAC key in the raw bytes (read from the disk
 * or the table underneath); `allowUnencryptedStorage: true` is the one way to keep them in clear;
 * and durable storage with neither fails with `UnencryptedStorageError`.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EncryptedStorage,
  Engine,
  ManualClock,
  PluginError,
  UnencryptedStorageError,
  type AtRestOptions,
  type DatabasePluginDescriptor,
  type Storage,
} from "../../src/index.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";
import { useTestDatabase } from "../support/database.js";
import { useRawBackends, type RawBackend } from "../support/raw-storage.js";
import { CREATE_LOGIN, fakeConnectionConfig } from "../support/engine-fixture.js";

const db = useTestDatabase();
const { fileBackend, postgresBackend } = useRawBackends(db, "at_rest");

/** Every kind of secret the engine keeps in storage, as the engine produced it. */
interface Secrets {
  rootPassword: string;
  pendingRootPassword: string;
  staticPassword: string;
  pendingStaticPassword: string;
  tokenHmacKey: string;
  auditHmacKey: string;
}

/**
 * The fake database's plugin, whose password changes can be made to fail with an unknown outcome
 * (the connection dropped): the engine then keeps the new password as pending. Every password it
 * was asked to set is recorded.
 */
function flakyRotations(fake: FakeDatabase) {
  const asked: string[] = [];
  const state = { failing: false };
  const descriptor: DatabasePluginDescriptor = {
    ...fake.plugin(),
    create: () => {
      const plugin = fake.factory();
      const changePassword = plugin.changePassword!;
      return {
        ...plugin,
        changePassword: async (request) => {
          asked.push(request.password);
          if (state.failing) throw new PluginError("changing the password failed: connection lost");
          return changePassword(request);
        },
      };
    },
  };
  return { descriptor, asked, state };
}

/**
 * Uses an engine on a handle of `backend` so that it writes every kind of secret, closes it, and
 * returns them (the HMAC keys read back through `view`, as the engine reads them).
 */
async function writeEverySecret(backend: RawBackend, atRest: AtRestOptions, view: () => Storage): Promise<Secrets> {
  const passwords = await writePasswords(backend.open(), atRest);
  const storage = view();
  try {
    return { ...passwords, tokenHmacKey: await storedString(storage, "sys/token/key"), auditHmacKey: await storedString(storage, "core/audit-hmac-key") };
  } finally {
    await storage.close?.();
  }
}

async function writePasswords(storage: Storage, atRest: AtRestOptions): Promise<Omit<Secrets, "tokenHmacKey" | "auditHmacKey">> {
  const fake = new FakeDatabase();
  fake.users.set("app-owner", { password: "initial", expiration: new Date(Date.UTC(2100, 0, 1)) });
  const plugin = flakyRotations(fake);
  const engine = await Engine.open({ storage, clock: new ManualClock(Date.UTC(2026, 0, 1)), plugins: [plugin.descriptor], auditSinks: { log: () => undefined }, ...atRest });
  try {
    const root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/audit/log", { type: "stream", options: { sink: "log" } });
    await root.write("sys/mounts/database", { type: "database" });
    const rootPassword = `root-${randomBytes(12).toString("hex")}`;
    await root.write("database/config/fake", { ...fakeConnectionConfig("*"), password: rootPassword });
    await root.write("database/roles/readonly", { db_name: "fake", creation_statements: CREATE_LOGIN, default_ttl: "1h" });
    await root.write("database/static-roles/app", { db_name: "fake", username: "app-owner", rotation_period: "24h" });
    const staticPassword = (await root.read<{ password: string }>("database/static-creds/app")).data!.password;

    plugin.state.failing = true; // both rotations below leave their new password pending
    await expect(root.write("database/rotate-role/app", {})).rejects.toBeInstanceOf(PluginError);
    const pendingStaticPassword = plugin.asked.at(-1)!;
    await expect(root.write("database/rotate-root/fake", {})).rejects.toBeInstanceOf(PluginError);
    const pendingRootPassword = plugin.asked.at(-1)!;
    return { rootPassword, pendingRootPassword, staticPassword, pendingStaticPassword };
  } finally {
    await engine.close();
  }
}

async function storedString(storage: Storage, key: string): Promise<string> {
  const value = await storage.get(key);
  expect(value, key).toBeDefined();
  return JSON.parse(new TextDecoder().decode(value)) as string;
}

/** The forms a secret could take in the raw bytes: as written, and a key's decoded bytes and hex. */
function forms(secret: string, isKey: boolean): Buffer[] {
  if (!isKey) return [Buffer.from(secret)];
  const bytes = Buffer.from(secret, "base64");
  expect(bytes).toHaveLength(32);
  return [Buffer.from(secret), bytes, Buffer.from(bytes.toString("hex"))];
}

const KINDS: Array<[keyof Secrets, string, boolean]> = [
  ["rootPassword", "a connection's root password", false],
  ["pendingRootPassword", "a pending root rotation password", false],
  ["staticPassword", "a static role's password", false],
  ["pendingStaticPassword", "a pending static-role rotation password", false],
  ["tokenHmacKey", "the token HMAC key", true],
  ["auditHmacKey", "the audit HMAC key", true],
];

describe.each([
  ["FileStorage", fileBackend],
  ["PostgresStorage", postgresBackend],
])("secrets at rest on %s", (_name, makeBackend) => {
  describe("with encryptionKey", () => {
    let backend: RawBackend;
    let secrets: Secrets;
    let raw: Buffer;
    beforeAll(async () => {
      backend = await makeBackend();
      const key = randomBytes(32);
      // A bare key has the id "default": the same keyring reads the records back.
      secrets = await writeEverySecret(backend, { encryptionKey: key }, () => new EncryptedStorage(backend.open(), { activeKeyId: "default", keys: { default: key } }));
      raw = await backend.rawBytes();
    });

    it.each(KINDS)("%s: not in the raw bytes", (kind, _label, isKey) => {
      expect(secrets[kind].length).toBeGreaterThanOrEqual(16);
      for (const form of forms(secrets[kind], isKey)) expect(raw.includes(form), kind).toBe(false);
    });

    it("the six secrets are distinct (each check looks for something of its own)", () => {
      expect(new Set(Object.values(secrets)).size).toBe(KINDS.length);
    });
  });

  it("allowUnencryptedStorage: true is the named opt-out, and then every kind is in clear (the checks above can fail)", async () => {
    const backend = await makeBackend();
    const secrets = await writeEverySecret(backend, { allowUnencryptedStorage: true }, () => backend.open());
    const raw = await backend.rawBytes();
    const inClear = KINDS.filter(([kind]) => raw.includes(Buffer.from(secrets[kind]))).map(([kind]) => kind);
    expect(inClear).toEqual(KINDS.map(([kind]) => kind));
  });

  it("without a key or the opt-out, opening fails with UnencryptedStorageError naming both, and nothing is written", async () => {
    const backend = await makeBackend();
    const storage = backend.open();
    const error = await Engine.open({ storage }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UnencryptedStorageError);
    expect(error).toMatchObject({ code: "unencrypted_storage", status: 400 });
    expect((error as Error).message).toMatch(/encryptionKey/);
    expect((error as Error).message).toMatch(/allowUnencryptedStorage: true/);
    expect(await storage.list("")).toEqual([]);
    await storage.close?.();
  });
});
