/**
 * `<db>/rotate-root/<name>`: replace the engine's own database password with one nobody knows.
 *
 * Crash safety: the new password is recorded as *pending* in the config before the database is
 * changed, and promoted after. If the process dies in between, {@link settleRootRotation} finds
 * out on next use which of the two passwords the database accepts and keeps that one.
 *
 * @module
 */
import { InvalidRequestError, PluginError, UnsupportedOperationError } from "../../errors.js";
import type { JsonStore } from "../../storage/json-store.js";
import { generatePassword, type PasswordPolicy } from "../../passwords/password-generator.js";
import type { ConnectionConfig } from "./connection-config.js";
import type { PluginInstances } from "./plugin-instances.js";

/** What a root rotation needs from the backend. */
export interface RootRotationContext {
  configs: JsonStore;
  plugins: PluginInstances;
  /** The password policy of the connection. */
  policy: PasswordPolicy;
}

/**
 * Rotates the root password of the config `name`.
 *
 * @throws InvalidRequestError when the config has no `username`/`password` or its URL does not use
 *   `{{password}}`; PluginError when the database refuses (the old password then still works)
 */
export async function rotateRoot(name: string, config: ConnectionConfig, { configs, plugins, policy }: RootRotationContext): Promise<void> {
  const passwordInUse = config.host ? true : config.connection_url.includes("{{password}}");
  if (!config.username || !config.password || !passwordInUse) {
    throw new InvalidRequestError(
      `connection ${JSON.stringify(name)} cannot rotate its root password: it needs username, password and a host or a connection_url that uses {{password}}`,
    );
  }
  const plugin = await plugins.get(name, config);
  if (!plugin.changePassword) throw new UnsupportedOperationError(`the ${plugin.name} plugin cannot rotate passwords`);
  const password = generatePassword(policy);
  await configs.put(name, { ...config, pending_root_password: password } satisfies ConnectionConfig);
  try {
    await plugin.changePassword({ username: config.username, password, statements: config.root_rotation_statements ?? [] });
  } catch (err) {
    // A change the database refused rolled back: the old password stands. When the outcome is
    // unknown (e.g. the connection dropped during COMMIT) the pending record stays for
    // settleRootRotation to resolve.
    if (refusedByDatabase(err)) await configs.put(name, config);
    throw err;
  }
  await configs.put(name, withoutPending({ ...config, password }));
  await plugins.close(name);
}

/**
 * Resolves an interrupted rotation: keeps whichever password (current or pending) the database
 * accepts and drops the pending record. A config without one is returned as it is.
 */
export async function settleRootRotation(name: string, config: ConnectionConfig, { configs, plugins }: Omit<RootRotationContext, "policy">): Promise<ConnectionConfig> {
  const pending = config.pending_root_password;
  if (!pending) return config;
  let settled: ConnectionConfig | undefined;
  for (const candidate of [config.password, pending]) {
    const attempt = withoutPending({ ...config, password: candidate });
    if (await connects(plugins, attempt)) {
      settled = attempt;
      break;
    }
  }
  if (!settled) return config; // the database is unreachable: decide on a later use
  await configs.put(name, settled);
  await plugins.close(name);
  return settled;
}

async function connects(plugins: PluginInstances, config: ConnectionConfig): Promise<boolean> {
  try {
    const plugin = await plugins.open(config, true);
    await plugin.close();
    return true;
  } catch {
    return false;
  }
}

function withoutPending(config: ConnectionConfig): ConnectionConfig {
  const { pending_root_password: _pending, ...rest } = config;
  return rest;
}

/**
 * Whether the database refused the change, so nothing changed (the plugin says so on its
 * {@link PluginError}). Any other failure leaves the outcome unknown.
 */
export function refusedByDatabase(err: unknown): boolean {
  return err instanceof PluginError && err.refused;
}
