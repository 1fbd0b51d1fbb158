/**
 * How a dynamic user is revoked: the settings of `<db>/roles/<name>` that shape the plugin's
 * default revocation.
 *
 * @module
 */

/** A role's revocation settings, as `<db>/roles/<name>` stores them. */
export interface RevocationSettings {
  /** End the user's open sessions before revoking (default `true`). */
  terminateSessions: boolean;
  /**
   * What the default revocation does with objects the user owns: `"reassign"` them to
   * {@link RevocationSettings.reassignTo} (default) or `"drop"` them.
   */
  ownedObjects: "reassign" | "drop";
  /** The role that receives reassigned objects; empty means the connection's own user. */
  reassignTo: string;
}

/** Terminate sessions, reassign owned objects to the connection's user. */
export const DEFAULT_REVOCATION_SETTINGS: RevocationSettings = { terminateSessions: true, ownedObjects: "reassign", reassignTo: "" };
