/**
 * The audit trail of one request: its request entry before anything is done, its response entry
 * (or its error) after.
 *
 * @module
 */
import type { TokenEntry } from "../auth/token/token-entry.js";
import { AuditFailedError, VaultletError } from "../errors.js";
import type { AuthBlock, Request, Response } from "../request.js";
import type { MountEntry } from "../mounts/mount-entry.js";
import { uuid } from "../util/random.js";
import type { AuditBroker } from "./audit-broker.js";
import type { AuditAuth, AuditEntry, AuditRequest, AuditResponse } from "./audit-entry.js";

/**
 * Collects what is known about a request as the engine serves it (who, what, where) and records
 * it. With no device enabled when the request began, every method returns at once.
 */
export class RequestAudit {
  /** The request id, shared by both entries and the response envelope. */
  readonly id = uuid();
  readonly #broker: AuditBroker;
  readonly #active: boolean;
  #operation: string;
  #path: string;
  #data: unknown;
  #presentedToken: unknown;
  #token: TokenEntry | undefined;
  #mount: MountEntry | undefined;
  #requestRecorded = false;
  #finished = false;
  /** The `auth` and `request` blocks, built once per accessor-hashing variant and shared by both entries. */
  readonly #blocks = new Map<boolean, Pick<AuditEntry, "auth" | "request">>();

  /** @internal use `AuditBroker.begin` */
  constructor(broker: AuditBroker, request: Request) {
    this.#broker = broker;
    this.#active = broker.active;
    this.#operation = String(request.operation);
    this.#path = String(request.path);
    this.#data = request.data;
    this.#presentedToken = request.token;
  }

  /** The request after validation (normalized path, checked data). */
  described(operation: string, path: string, data: unknown): void {
    this.#operation = operation;
    this.#path = path;
    this.#data = data;
    this.#blocks.clear();
  }

  /** The token the request was authenticated with. */
  authenticated(token: TokenEntry): void {
    this.#token = token;
    this.#blocks.clear();
  }

  /** The mount the request was routed to. */
  routed(mount: MountEntry): void {
    this.#mount = mount;
    this.#blocks.clear();
  }

  /**
   * Records the request entry. Call it before the request changes anything.
   *
   * @throws AuditFailedError when no device recorded it: the request must not proceed
   */
  async recordRequest(): Promise<void> {
    if (!this.#active || this.#requestRecorded) return;
    await this.#broker.record((hmacAccessor) => this.#entry("request", hmacAccessor), "request");
    this.#requestRecorded = true;
  }

  /**
   * Records the response entry.
   *
   * @throws AuditFailedError when no device recorded it (the request did happen; the caller is told)
   */
  async recordResponse(response: Response): Promise<void> {
    if (!this.#active || this.#finished) return;
    this.#finished = true;
    await this.#broker.record((hmacAccessor) => ({ ...this.#entry("response", hmacAccessor), response: this.#response(response, hmacAccessor) }), "response");
  }

  /**
   * Records a failed request: its request entry if it was not recorded yet, then its response
   * entry with the error. Never throws: the request's own error is what the caller must see.
   */
  async recordFailure(error: unknown): Promise<void> {
    // After an AuditFailedError the devices already failed (and were reported); do not retry them.
    if (!this.#active || this.#finished || error instanceof AuditFailedError) return;
    this.#finished = true;
    const message = error instanceof VaultletError ? error.message : "internal error";
    try {
      if (!this.#requestRecorded) {
        await this.#broker.record((hmacAccessor) => ({ ...this.#entry("request", hmacAccessor), error: message }), "request");
      }
      await this.#broker.record((hmacAccessor) => ({ ...this.#entry("response", hmacAccessor), error: message }), "response");
    } catch {
      // Device failures were already reported; the request's own error stands.
    }
  }

  #entry(type: AuditEntry["type"], hmacAccessor: boolean): AuditEntry {
    let blocks = this.#blocks.get(hmacAccessor);
    if (!blocks) this.#blocks.set(hmacAccessor, (blocks = this.#buildBlocks(hmacAccessor)));
    return { type, time: new Date(this.#broker.clock.now()).toISOString(), ...blocks };
  }

  #buildBlocks(hmacAccessor: boolean): Pick<AuditEntry, "auth" | "request"> {
    const hasher = this.#broker.hasher;
    const accessor = this.#token && (hmacAccessor ? hasher.hashMemoized(`accessor:${this.#token.accessor}`, this.#token.accessor) : this.#token.accessor);
    const clientToken = this.#hashedClientToken();
    const request: AuditRequest = {
      id: this.id,
      operation: this.#operation,
      mount_type: this.#mount?.type,
      mount_accessor: this.#mount?.accessor,
      client_token: clientToken,
      client_token_accessor: accessor,
      namespace: { id: "root" },
      path: this.#path,
      data: this.#hashedData(this.#data),
      remote_address: null,
    };
    return { auth: this.#auth(clientToken, accessor), request };
  }

  /** The presented token's hash; memoized under the token's storage hash once it is authenticated. */
  #hashedClientToken(): string | undefined {
    const presented = this.#presentedToken;
    if (typeof presented !== "string" || presented.length === 0) return undefined;
    const hasher = this.#broker.hasher;
    return this.#token ? hasher.hashMemoized(`token:${this.#token.hash}`, presented) : hasher.hash(presented);
  }

  #auth(clientToken: string | undefined, accessor: string | undefined): AuditAuth {
    const token = this.#token;
    if (!token) return { client_token: clientToken };
    return {
      client_token: clientToken,
      accessor,
      display_name: token.displayName,
      policies: [...token.policies],
      token_policies: [...token.policies],
      metadata: Object.keys(token.meta).length === 0 ? null : (this.#broker.hasher.hashStrings(token.meta) as Record<string, string>),
      entity_id: "",
      token_type: "service",
    };
  }

  #response(response: Response, hmacAccessor: boolean): AuditResponse {
    return {
      mount_type: this.#mount?.type,
      mount_accessor: this.#mount?.accessor,
      data: this.#hashedData(response.data),
      secret: response.lease_id ? { lease_id: response.lease_id } : undefined,
      auth: response.auth ? this.#createdAuth(response.auth, hmacAccessor) : undefined,
      warnings: response.warnings,
    };
  }

  /** A token created by the request: its token and accessor HMAC'd. */
  #createdAuth(auth: AuthBlock, hmacAccessor: boolean): AuditAuth {
    const hasher = this.#broker.hasher;
    return {
      client_token: auth.client_token ? hasher.hash(auth.client_token) : undefined,
      accessor: hmacAccessor ? hasher.hash(auth.accessor) : auth.accessor,
      policies: auth.policies,
      token_policies: auth.token_policies,
      metadata: auth.metadata ? (hasher.hashStrings(auth.metadata) as Record<string, string>) : null,
      entity_id: auth.entity_id,
      token_type: auth.token_type,
    };
  }

  #hashedData(data: unknown): Record<string, unknown> | null {
    if (data === undefined || data === null || typeof data !== "object") return null;
    if (Object.keys(data).length === 0) return null;
    return this.#broker.hasher.hashStrings(data) as Record<string, unknown>;
  }
}
