/**
 * @module
 */
import type { ConnectionConfig } from "./connection-config.js";
import type { DatabasePlugin, DatabasePluginDescriptor } from "./plugin.js";

/**
 * One initialized plugin (and so one connection pool) per connection config, created on first use
 * and reused; replaced when the config changes, closed when it is deleted or reset.
 */
export class PluginInstances {
  readonly #descriptors: ReadonlyMap<string, DatabasePluginDescriptor>;
  readonly #instances = new Map<string, Promise<DatabasePlugin>>();
  /** What each instance was opened with ({@link connectionOf}), to notice a config changed elsewhere. */
  readonly #openedWith = new Map<string, string>();

  /** @param descriptors - the registered plugins, by `plugin_name` */
  constructor(descriptors: ReadonlyMap<string, DatabasePluginDescriptor>) {
    this.#descriptors = descriptors;
  }

  /** Plugin names that can be configured. */
  get names(): string[] {
    return [...this.#descriptors.keys()];
  }

  /** The longest username the plugin named `pluginName` accepts, in bytes (from its descriptor). */
  maxUsernameBytes(pluginName: string): number {
    return this.#descriptor(pluginName).maxUsernameBytes;
  }

  /**
   * Creates and initializes a plugin for `config` without caching it; with `verifyConnection` the
   * database must answer. Use it to check a config before storing it.
   */
  async open(config: ConnectionConfig, verifyConnection: boolean): Promise<DatabasePlugin> {
    const plugin = this.#descriptor(config.plugin_name).create();
    await plugin.initialize(connectionOf(config), { verifyConnection });
    return plugin;
  }

  /** The cached plugin for the config named `name`, initialized from `config` on first use. */
  get(name: string, config: ConnectionConfig): Promise<DatabasePlugin> {
    const fingerprint = fingerprintOf(config);
    let instance = this.#instances.get(name);
    if (instance && this.#openedWith.get(name) !== fingerprint) {
      // The stored config changed (another engine on the same storage wrote or rotated it): the
      // instance opened with the old one is closed once its operations in flight are done.
      void this.close(name);
      instance = undefined;
    }
    if (!instance) {
      const opening = this.open(config, false);
      opening.catch(() => {
        if (this.#instances.get(name) === opening) this.#instances.delete(name);
      });
      this.#instances.set(name, opening);
      this.#openedWith.set(name, fingerprint);
      instance = opening;
    }
    return instance;
  }

  /** Installs an already-open plugin for `name` (opened with `config`), closing the one it replaces. */
  async replace(name: string, plugin: DatabasePlugin, config: ConnectionConfig): Promise<void> {
    await this.close(name);
    this.#instances.set(name, Promise.resolve(plugin));
    this.#openedWith.set(name, fingerprintOf(config));
  }

  /** Closes and forgets the plugin for `name`. */
  async close(name: string): Promise<void> {
    const instance = this.#instances.get(name);
    this.#instances.delete(name);
    this.#openedWith.delete(name);
    await instance?.then((plugin) => plugin.close()).catch(() => undefined);
  }

  /** Closes every plugin. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#instances.keys()].map((name) => this.close(name)));
  }

  /** Configs are validated against {@link names} before use, so a miss is a programming error. */
  #descriptor(pluginName: string): DatabasePluginDescriptor {
    const descriptor = this.#descriptors.get(pluginName);
    if (!descriptor) throw new Error(`no database plugin registered as ${JSON.stringify(pluginName)}`);
    return descriptor;
  }
}

/** What a plugin is initialized with, from a stored config. */
function connectionOf(config: ConnectionConfig) {
  return {
    connectionUrl: config.connection_url,
    username: config.username,
    password: config.password,
    maxOpenConnections: config.max_open_connections,
    maxIdleConnections: config.max_idle_connections ?? 0,
    maxConnectionLifetimeSeconds: config.max_connection_lifetime ?? 0,
    disableEscaping: config.disable_escaping ?? false,
    passwordAuthentication: config.password_authentication,
    host: config.host || undefined,
    port: config.port,
    database: config.database || undefined,
    tls: { ca: config.tls_ca, cert: config.tls_certificate, key: config.private_key },
  };
}

/** Identifies the connection a config describes (kept in memory only: it holds the password). */
function fingerprintOf(config: ConnectionConfig): string {
  return JSON.stringify([config.plugin_name, connectionOf(config)]);
}
