/**
 * The parsed form of an ACL policy: a name, its path rules, and the text it came from.
 *
 * @module
 */
import type { Capability } from "./capability.js";

/**
 * Parameter constraints of a path rule: parameter name (lower-cased) → the values it may take (or
 * may not take, for `denied_parameters`). An empty list means "any value". The key `"*"` stands for
 * every parameter. String values may start and/or end with `*` as a glob.
 */
export type ParameterConstraints = Record<string, unknown[]>;

/**
 * One `path "<pattern>" { … }` block.
 *
 * @example
 * ```ts
 * { pattern: "database/creds/+", capabilities: ["read"], requiredParameters: ["ttl"] }
 * ```
 */
export interface PathRule {
  /**
   * The path pattern without a leading `/`: an exact path, a prefix ending in `*`, and/or segments
   * of exactly `+` that match any one path segment.
   */
  pattern: string;
  /**
   * The granted capabilities, de-duplicated, in the order written, with a legacy `policy = "…"`
   * shorthand expanded. When `deny` is among them this is exactly `["deny"]`.
   */
  capabilities: Capability[];
  /** Parameters a request may carry, and their allowed values. Unset means "no restriction". */
  allowedParameters?: ParameterConstraints;
  /** Parameters a request may not carry (with those values). */
  deniedParameters?: ParameterConstraints;
  /** Parameters a request must carry. */
  requiredParameters?: string[];
  /** The shortest response-wrapping TTL a request must ask for, in seconds. */
  minWrappingTtl?: number;
  /** The longest response-wrapping TTL a request may ask for, in seconds. */
  maxWrappingTtl?: number;
  /**
   * The event types (`subscribe_event_types`) the `subscribe` capability covers, kept as written:
   * vaultlet has no event subscription endpoint, so nothing is subscribed to.
   */
  subscribeEventTypes?: string[];
  /** The block's `comment`, kept for display. */
  comment?: string;
}

/**
 * A named ACL policy, as {@link parsePolicy} returns it.
 *
 * @example
 * ```ts
 * const apps = parsePolicy("apps", 'path "database/creds/readonly" { capabilities = ["read"] }');
 * apps.rules[0]; // { pattern: "database/creds/readonly", capabilities: ["read"] }
 * ```
 */
export interface Policy {
  /** The policy's name, e.g. `"apps"`. The name `"root"` is reserved for the built-in root policy. */
  name: string;
  /** The path rules, in the order written. The same pattern may appear more than once. */
  rules: PathRule[];
  /** The policy text the rules were parsed from. */
  raw: string;
}
