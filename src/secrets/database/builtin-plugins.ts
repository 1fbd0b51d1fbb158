/**
 * The database plugins every engine has. Kept apart from the plugin interface (`plugin.ts`) so the
 * interface does not depend on an implementation.
 *
 * @module
 */
import type { DatabasePluginDescriptor } from "./plugin.js";
import { postgresPlugin } from "./plugins/postgres/postgres-plugin.js";

/** The built-in plugins: `postgresql-database-plugin`. */
export function builtinDatabasePlugins(): DatabasePluginDescriptor[] {
  return [postgresPlugin()];
}
