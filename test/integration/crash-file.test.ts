/** SIGKILL at random moments while issuing and revoking on FileStorage: nothing orphaned, nothing lost. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { FileStorage } from "../../src/index.js";
import { crashTest } from "../support/crash-harness.js";
import { useTestDatabase } from "../support/database.js";

const db = useTestDatabase();

describe("crash safety on FileStorage", () => {
  it("survives 30 SIGKILLs mid-issue and mid-revoke with no untracked role and no lost lease", { timeout: 180_000 }, async () => {
    const path = await mkdtemp(join(tmpdir(), "vaultlet-crash-"));
    try {
      await crashTest(db, () => new FileStorage({ path }), { kind: "file", path }, "crashf", 30);
    } finally {
      await rm(path, { recursive: true, force: true });
    }
  });
});
