/**
 * @module
 */
import type { MountEntry } from "./mount-entry.js";

/** Where the token backend is mounted. */
export const TOKEN_MOUNT = "auth/token/";

/** The mounts every engine has and no one can disable: `sys/` and `auth/token/`. */
export function builtinMounts(): MountEntry[] {
  const builtin = (path: string, type: string, description: string): MountEntry => ({
    path,
    type,
    uuid: `builtin-${type}`,
    accessor: `${type}_builtin`,
    description,
    config: { default_lease_ttl: 0, max_lease_ttl: 0 },
    options: {},
    builtin: true,
  });
  return [
    builtin("sys/", "system", "system endpoints used for control, policy and debugging"),
    builtin(TOKEN_MOUNT, "token", "token based credentials"),
  ];
}
