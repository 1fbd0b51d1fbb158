/**
 * vaultlet — an embeddable, in-process secrets engine: short-lived PostgreSQL credentials under
 * leases, with Vault's API shape and no server.
 *
 * @packageDocumentation
 */
export { Engine, type EngineOptions, type InitializeResult } from "./engine.js";
export { Client, type ListData } from "./client.js";
export type { Operation, Request, RequestData, Response, AuthBlock } from "./request.js";
export {
  VaultletError,
  PermissionDeniedError,
  NotFoundError,
  InvalidRequestError,
  UnsupportedOperationError,
  LeaseNotFoundError,
  PluginError,
  NotInitializedError,
  AlreadyInitializedError,
  SealedError,
  AuditFailedError,
  QuotaExceededError,
  StorageError,
  EncryptionError,
  type VaultletErrorOptions,
} from "./errors.js";
export type { Storage, PutOptions, ClaimRequest, ChangeListener, ChangeWatch } from "./storage/storage.js";
export { MemoryStorage } from "./storage/memory-storage.js";
export { FileStorage, type FileStorageOptions } from "./storage/file/file-storage.js";
export { PostgresStorage, type PostgresStorageOptions, type QueryablePool } from "./storage/postgres/postgres-storage.js";
export type { ListenConnection } from "./storage/postgres/postgres-change-feed.js";
export { EncryptedStorage, type Keyring } from "./storage/encrypted-storage.js";
export { SystemClock, ManualClock, MAX_TIMER_DELAY_MS, type Clock, type TimerHandle, type TimerCallback } from "./util/clock.js";
export { parseDuration } from "./util/ttl.js";
export type { RevocationOptions } from "./leases/lease-manager.js";
export type { LeaseRecord, LeaseState } from "./leases/lease.js";
export type {
  DatabasePlugin,
  DatabasePluginFactory,
  ConnectionSettings,
  NewUserRequest,
  RenewUserRequest,
  DeleteUserRequest,
  ChangePasswordRequest,
  PasswordAuthentication,
  RevocationSettings,
} from "./secrets/database/plugin.js";
export { createPostgresPlugin, type PostgresPluginOptions } from "./secrets/database/plugins/postgres/postgres-plugin.js";
export type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from "./secrets/database/plugins/postgres/postgres-pool.js";
export type { AuditEntry, AuditAuth, AuditRequest, AuditResponse } from "./audit/audit-entry.js";
export type { AuditSink, AuditWritable } from "./audit/audit-device.js";
export type { Logger } from "./observability/logger.js";
export type {
  EngineEvents,
  EngineEventName,
  EngineEventListener,
  LeaseEventPayload,
  LeaseFailurePayload,
  TokenEventPayload,
  ChangePayload,
  QuotaPayload,
} from "./observability/engine-events.js";
export type { EngineMetrics } from "./observability/metrics.js";
export type { GuardrailOptions } from "./leases/lease-quotas.js";
