/**
 * @module
 */
import type { EngineEvents } from "../observability/engine-events.js";

/**
 * The engine events that stand for a change a backend made to its own configuration. The backend
 * that made the change reports it (only it knows what a path means); the engine passes it on to
 * `engine.on` listeners and the logger.
 */
export type ChangeEventName = "config.changed" | "role.changed" | "policy.changed" | "mount.tuned" | "audit.enabled" | "audit.disabled";

/**
 * Where a backend reports a change it made, once the change is stored. Payloads name fields,
 * never their values: they reach listeners and logs.
 *
 * @example
 * ```ts
 * await roles.put(name, role);
 * events?.("role.changed", { mount: mount().path, name, operation: "write", fields: Object.keys(data).sort() });
 * ```
 */
export type ChangeEventSink = <K extends ChangeEventName>(name: K, payload: EngineEvents[K]) => void;
