/**
 * Strategy 2: a container (`postgres:<major>-alpine`) through testcontainers, used only when a
 * container runtime answers. Ryuk removes the container if the run crashes.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { importOptionalPeer } from "./optional-peer.js";
import { SUPERUSER, nonEmpty, randomToken, serverSettings, serverUrl, withTimeout } from "./server-settings.js";
import type { PostgresServer } from "./start-postgres.js";

/** The image when no major is asked for. */
const DEFAULT_IMAGE = "postgres:17-alpine";

/**
 * True when a Docker-compatible runtime answers. Returns `false` at once (without
 * importing testcontainers) when there is no `DOCKER_HOST`, no
 * `~/.testcontainers.properties` and none of the sockets testcontainers looks for.
 *
 * @param timeoutMs - how long to wait for the runtime to answer
 */
export async function containerRuntimeAvailable(timeoutMs = 2000): Promise<boolean> {
  if (!containerRuntimeHint()) return false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await withTimeout(getContainerRuntimeClient(), timeoutMs, "container runtime probe");
    return true;
  } catch {
    return false; // not installed, or no runtime: either way, not this strategy
  }
}

/** Mirrors the places testcontainers' runtime strategies look at. */
function containerRuntimeHint(): boolean {
  if (nonEmpty(process.env.DOCKER_HOST)) return true;
  const home = homedir();
  const candidates = [
    join(home, ".testcontainers.properties"),
    "/var/run/docker.sock",
    join(home, ".docker", "run", "docker.sock"),
    join(home, ".docker", "desktop", "docker.sock"),
    `/run/user/${userInfo().uid}/docker.sock`,
  ];
  if (process.env.XDG_RUNTIME_DIR) candidates.push(join(process.env.XDG_RUNTIME_DIR, "docker.sock"));
  if (process.platform === "win32") return true; // named pipe: let testcontainers decide
  return candidates.some((p) => existsSync(p));
}

/** Starts a PostgreSQL container with a random superuser password and SCRAM-SHA-256 logins. */
export async function startContainer(options: { image?: string; version?: number }): Promise<PostgresServer> {
  const { PostgreSqlContainer } = await importOptionalPeer<typeof import("@testcontainers/postgresql")>("@testcontainers/postgresql");
  const password = randomToken(32);
  const container = await new PostgreSqlContainer(options.image ?? (options.version ? `postgres:${options.version}-alpine` : DEFAULT_IMAGE))
    .withUsername(SUPERUSER)
    .withPassword(password)
    .withDatabase("postgres")
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: "scram-sha-256" })
    .withCommand(["postgres", ...serverSettings({ listen: "*" })])
    .start();
  const host = container.getHost();
  const port = container.getPort();
  let stopped: Promise<void> | undefined;
  return {
    url: serverUrl(host, port, password),
    host,
    port,
    user: SUPERUSER,
    password,
    kind: "container",
    stop: () => (stopped ??= container.stop().then(() => undefined)),
  };
}
