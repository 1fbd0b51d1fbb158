/**
 * Issue 11, item 11: a FileStorage directory is its owner's alone — folders 0700, files 0600 (the
 * record log and the lock too) — and a looser directory an earlier version made is tightened at open.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileStorage } from "../../../src/index.js";

const posix = process.platform !== "win32";
const made: string[] = [];

afterEach(async () => {
  await Promise.all(made.splice(0).map((path) => rm(path, { recursive: true, force: true })));
});

async function scratch(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), "vaultlet-modes-"));
  made.push(path);
  return path;
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Every entry under `root` (itself included) with its access bits. */
async function modesUnder(root: string): Promise<Array<{ path: string; folder: boolean; mode: number }>> {
  const entries = [{ path: root, folder: true, mode: await modeOf(root) }];
  for (const name of await readdir(root, { recursive: true })) {
    const path = join(root, name);
    const info = await stat(path);
    entries.push({ path, folder: info.isDirectory(), mode: info.mode & 0o777 });
  }
  return entries;
}

describe.runIf(posix)("FileStorage modes", () => {
  it("creates every folder 0700 and every file 0600: records, record log and lock", async () => {
    const root = join(await scratch(), "nested", "vaultlet");
    const storage = new FileStorage({ path: root });
    await storage.put("core/mounts/database", new Uint8Array([1]));
    await storage.put("sys/expire/id/database/creds/readonly/abc", new Uint8Array([2]));
    const entries = await modesUnder(root);
    expect(entries.map((entry) => entry.path)).toEqual(expect.arrayContaining([join(root, "packed.log"), join(root, "lock")]));
    expect(entries.filter((entry) => entry.folder).length).toBeGreaterThanOrEqual(5); // root, data, tmp, core, mounts
    for (const entry of entries) expect({ path: entry.path, mode: entry.mode }).toEqual({ path: entry.path, mode: entry.folder ? 0o700 : 0o600 });
    expect(await modeOf(join(root, ".."))).toBe(0o700); // a missing parent is created private too
    await storage.close();
  });

  it("tightens a looser existing directory, its data folder and its record log at open, records intact", async () => {
    const root = await scratch();
    const first = new FileStorage({ path: root });
    await first.put("core/init", new Uint8Array([7]));
    await first.put("sys/expire/id/x", new Uint8Array([8]));
    await first.close();
    // What an earlier version (or a copy with a loose umask) left behind.
    await chmod(root, 0o755);
    await chmod(join(root, "data"), 0o755);
    await chmod(join(root, "packed.log"), 0o644);

    const reopened = new FileStorage({ path: root });
    expect(await reopened.get("core/init")).toEqual(new Uint8Array([7]));
    expect(await reopened.get("sys/expire/id/x")).toEqual(new Uint8Array([8]));
    expect(await modeOf(root)).toBe(0o700);
    expect(await modeOf(join(root, "data"))).toBe(0o700);
    expect(await modeOf(join(root, "packed.log"))).toBe(0o600);
    await reopened.close();
  });

  it("tightens an existing empty folder the host made world-readable for it", async () => {
    const root = join(await scratch(), "host-made");
    await mkdir(root, { mode: 0o777 });
    await chmod(root, 0o777);
    await writeFile(join(root, "README"), "host's own file\n", { mode: 0o644 });
    const storage = new FileStorage({ path: root });
    await storage.put("k", new Uint8Array([1]));
    expect(await modeOf(root)).toBe(0o700);
    expect(await modeOf(join(root, "README"))).toBe(0o644); // not ours: left alone, and behind the 0700 root
    await storage.close();
  });
});
