/**
 * The audit trail of one request: its request entry before anything is done, its response entry
 * (or its error) after.
 *
 * @module
 */
import { AuditFailedError, VaultletError } from "../errors.js";
import type { AuthBlock, Response, WrapInfo } from "../request.js";
import type { RequestContext } from "../request-context.js";
import type { AuditAuth, AuditEntry, AuditRequest, AuditResponse } from "./audit-entry.js";
import type { AuditRecorder } from "./audit-recorder.js";

/**
 * Records one request from its {@link RequestContext}: who, what and where are read from the
 * context at each record point, so the entry shows exactly how far the request got. With no
 * device enabled when the request began, every method returns at once.
 */
export class RequestAudit {
  readonly #recorder: AuditRecorder;
  readonly #context: RequestContext;
  readonly #active: boolean;
  #requestRecorded = false;
  #finished = false;
  /**
   * The `auth` and `request` blocks, built once per accessor-hashing variant at the first record
   * point and shared by both entries: the pipeline completes the context before it records the
   * request, and changes nothing in it afterwards.
   */
  readonly #blocks = new Map<boolean, Pick<AuditEntry, "auth" | "request">>();

  /** @internal use `AuditBroker.begin` */
  constructor(recorder: AuditRecorder, context: RequestContext) {
    this.#recorder = recorder;
    this.#context = context;
    this.#active = recorder.active;
  }

  /** The request id, shared by both entries and the response envelope. */
  get id(): string {
    return this.#context.id;
  }

  /**
   * Records the request entry. Call it before the request changes anything.
   *
   * @throws AuditFailedError when no device recorded it: the request must not proceed
   */
  async recordRequest(): Promise<void> {
    if (!this.#active || this.#requestRecorded) return;
    await this.#recorder.record((hmacAccessor) => this.#entry("request", hmacAccessor), "request");
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
    await this.#recorder.record((hmacAccessor) => ({ ...this.#entry("response", hmacAccessor), response: this.#response(response, hmacAccessor) }), "response");
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
        await this.#recorder.record((hmacAccessor) => ({ ...this.#entry("request", hmacAccessor), error: message }), "request");
      }
      await this.#recorder.record((hmacAccessor) => ({ ...this.#entry("response", hmacAccessor), error: message }), "response");
    } catch {
      // Device failures were already reported; the request's own error stands.
    }
  }

  #entry(type: AuditEntry["type"], hmacAccessor: boolean): AuditEntry {
    let blocks = this.#blocks.get(hmacAccessor);
    if (!blocks) this.#blocks.set(hmacAccessor, (blocks = this.#buildBlocks(hmacAccessor)));
    return { type, time: new Date(this.#recorder.clock.now()).toISOString(), ...blocks };
  }

  #buildBlocks(hmacAccessor: boolean): Pick<AuditEntry, "auth" | "request"> {
    const hasher = this.#recorder.hasher;
    const { token, mount } = this.#context;
    const accessor = token && (hmacAccessor ? hasher.hashMemoized(`accessor:${token.accessor}`, token.accessor) : token.accessor);
    const clientToken = this.#hashedClientToken();
    const request: AuditRequest = {
      id: this.id,
      operation: this.#context.operation,
      mount_type: mount?.type,
      mount_accessor: mount?.accessor,
      client_token: clientToken,
      client_token_accessor: accessor,
      namespace: { id: "root" },
      path: this.#context.path,
      data: this.#hashedData(this.#context.data),
      remote_address: null,
    };
    return { auth: this.#auth(clientToken, accessor), request };
  }

  /** The presented token's hash; memoized under the token's storage hash once it is authenticated. */
  #hashedClientToken(): string | undefined {
    const presented = this.#context.presented.token;
    if (typeof presented !== "string" || presented.length === 0) return undefined;
    const hasher = this.#recorder.hasher;
    const token = this.#context.token;
    return token ? hasher.hashMemoized(`token:${token.hash}`, presented) : hasher.hash(presented);
  }

  #auth(clientToken: string | undefined, accessor: string | undefined): AuditAuth {
    const token = this.#context.token;
    if (!token) return { client_token: clientToken };
    return {
      client_token: clientToken,
      accessor,
      display_name: token.displayName,
      policies: [...token.policies],
      token_policies: [...token.policies],
      metadata: Object.keys(token.meta).length === 0 ? null : (this.#recorder.hasher.hashStrings(token.meta) as Record<string, string>),
      entity_id: "",
      token_type: "service",
    };
  }

  #response(response: Response, hmacAccessor: boolean): AuditResponse {
    return {
      mount_type: this.#context.mount?.type,
      mount_accessor: this.#context.mount?.accessor,
      data: this.#hashedData(response.data),
      secret: response.lease_id ? { lease_id: response.lease_id } : undefined,
      auth: response.auth ? this.#createdAuth(response.auth, hmacAccessor) : undefined,
      warnings: response.warnings,
      wrap_info: response.wrap_info ? this.#wrapInfo(response.wrap_info, hmacAccessor) : undefined,
    };
  }

  /** A wrapped response's `wrap_info`: the wrapping token HMAC'd, accessors as the device hashes them. */
  #wrapInfo(info: WrapInfo, hmacAccessor: boolean): NonNullable<AuditResponse["wrap_info"]> {
    const hasher = this.#recorder.hasher;
    const accessor = (value: string) => (hmacAccessor ? hasher.hash(value) : value);
    const hashed: NonNullable<AuditResponse["wrap_info"]> = {
      token: hasher.hash(info.token),
      accessor: accessor(info.accessor),
      ttl: info.ttl,
      creation_time: info.creation_time,
      creation_path: info.creation_path,
    };
    if (info.wrapped_accessor !== undefined) hashed.wrapped_accessor = accessor(info.wrapped_accessor);
    return hashed;
  }

  /** A token created by the request: its token and accessor HMAC'd. */
  #createdAuth(auth: AuthBlock, hmacAccessor: boolean): AuditAuth {
    const hasher = this.#recorder.hasher;
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
    return this.#recorder.hasher.hashStrings(data) as Record<string, unknown>;
  }
}
