/**
 * @module
 */

/** A mount's tunable lease settings, in seconds (0 = inherit the system default of 32 days). */
export interface MountConfig {
  /** Default TTL of leases issued under the mount. */
  default_lease_ttl: number;
  /** Maximum TTL of leases issued under the mount. */
  max_lease_ttl: number;
  /** The most live leases the mount may hold (0 or absent: no limit). */
  max_leases?: number;
  /**
   * Vault's "disable caching" flag, kept and reported as given: vaultlet never caches a mount's
   * storage, so every mount already behaves as `true` asks.
   */
  force_no_cache?: boolean;
}

/** One entry of the mount table, stored as is. */
export interface MountEntry {
  /** The mount path, always ending in `/` (e.g. `"database/"`). */
  path: string;
  /** The backend type (e.g. `"database"`). */
  type: string;
  /** A UUID naming the mount's storage view; a remount at the same path gets a new one. */
  uuid: string;
  /** A short id for the mount, as Vault's `accessor`. */
  accessor: string;
  /** Free text. */
  description: string;
  /** Lease TTL settings. */
  config: MountConfig;
  /** Backend-specific options given at mount time. */
  options: Record<string, string>;
  /** Built-in mounts (`sys/`, `auth/token/`) cannot be disabled or moved. */
  builtin: boolean;
}
