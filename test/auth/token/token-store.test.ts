import { describe, expect, it } from "vitest";
import { TokenStore } from "../../../src/auth/token/token-store.js";
import type { TokenEntry } from "../../../src/auth/token/token-entry.js";
import { JsonStore } from "../../../src/storage/json-store.js";
import { MemoryStorage } from "../../../src/storage/memory-storage.js";
import { ManualClock } from "../../../src/util/clock.js";

async function storeWithToken() {
  const records = new JsonStore(new MemoryStorage());
  const tokens = new TokenStore(records, new ManualClock(Date.UTC(2026, 0, 1)));
  await tokens.load();
  const { token, entry } = await tokens.create({ policies: ["default"], displayName: "token", numUses: 0, renewable: true, ttl: 3600, meta: {} } as never);
  /** Rewrites the stored entry's hash field, keeping the record under its key. */
  const tamper = async (hash: string) => records.put(`id/${entry.hash}`, { ...entry, hash } satisfies TokenEntry);
  return { tokens, token, entry, tamper };
}

describe("TokenStore.lookup", () => {
  it("finds a token by its hash", async () => {
    const { tokens, token, entry } = await storeWithToken();
    expect((await tokens.lookup(token))?.accessor).toBe(entry.accessor);
  });

  it("refuses a record whose stored hash differs from the token's, however it differs", async () => {
    const { tokens, token, entry, tamper } = await storeWithToken();
    const flipped = (entry.hash[0] === "a" ? "b" : "a") + entry.hash.slice(1);
    // Same low byte as the real first character: a comparison of bytes truncated to Latin-1 would pass it.
    const wide = String.fromCharCode(entry.hash.charCodeAt(0) + 0x100) + entry.hash.slice(1);
    for (const hash of [flipped, wide, entry.hash.slice(1), `${entry.hash}0`, ""]) {
      await tamper(hash);
      expect(await tokens.lookup(token)).toBeUndefined();
    }
    await tamper(entry.hash);
    expect(await tokens.lookup(token)).toBeDefined();
  });
});
