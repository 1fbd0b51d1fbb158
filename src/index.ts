/**
 * vaultlet — an embeddable, in-process secrets engine: short-lived PostgreSQL credentials under
 * leases, with Vault's API shape and no server.
 *
 * @packageDocumentation
 */
export { Engine, type EngineOptions, type InitializeResult } from "./engine.js";
export { Client, type ListData } from "./client.js";
export type { RequestHandler } from "./request-handler.js";
export type { Operation, Request, RequestData, RequestOptions, Response, AuthBlock, WrapInfo } from "./request.js";
export {
  VaultletError,
  PermissionDeniedError,
  NotFoundError,
  InvalidRequestError,
  UnsupportedOperationError,
  UnsupportedPathError,
  LeaseNotFoundError,
  LeaseNotRenewableError,
  PluginError,
  type PluginErrorOptions,
  NotInitializedError,
  AlreadyInitializedError,
  SealedError,
  AuditFailedError,
  QuotaExceededError,
  StorageError,
  StorageExposedError,
  CredentialReachesStorageError,
  EncryptionError,
  UnencryptedStorageError,
  CredentialLeaseError,
  type VaultletErrorOptions,
} from "./errors.js";
export type { Storage, AtRest, PutOptions, BatchWrite, ClaimRequest, ChangeListener, ChangeWatch, ExposureListener, StorageExposure } from "./storage/storage.js";
export type { ProtectedRecords, RecordHolder } from "./util/protected-records.js";
export type { AtRestOptions } from "./storage/protect-at-rest.js";
export { MemoryStorage } from "./storage/memory-storage.js";
export { FileStorage, type FileStorageOptions } from "./storage/file/file-storage.js";
export { PostgresStorage, type PostgresStorageOptions } from "./storage/postgres/postgres-storage.js";
export type { ListenConnection, ListenNotification } from "./storage/postgres/postgres-change-feed.js";
export type { PostgresStoragePool } from "./storage/postgres/postgres-storage.js";
export { EncryptedStorage, type Keyring } from "./storage/encrypted-storage.js";
export { SystemClock, ManualClock, MAX_TIMER_DELAY_MS, type Clock, type TimerHandle, type TimerCallback } from "./util/clock.js";
export { parseDuration, MAX_DURATION_SECONDS } from "./util/ttl.js";
export { MAX_REQUEST_DATA_DEPTH } from "./request-validation.js";
export { MAX_HCL_DEPTH } from "./hcl/parser.js";
export { MAX_STATEMENTS_LENGTH } from "./secrets/database/sql-statements.js";
export { MAX_USERNAME_TEMPLATE_LENGTH } from "./secrets/database/go-template/limits.js";
export type { RevocationOptions } from "./leases/lease-manager.js";
export type { LeaseRecord, LeaseState } from "./leases/lease.js";
export type {
  DatabasePlugin,
  DatabasePluginFactory,
  DatabasePluginDescriptor,
  ConnectionSettings,
  NewUserRequest,
  FindReachRequest,
  RenewUserRequest,
  DeleteUserRequest,
  ChangePasswordRequest,
  PasswordAuthentication,
  RevocationSettings,
} from "./secrets/database/plugin.js";
export {
  postgresPlugin,
  createPostgresPlugin,
  type PostgresPluginOptions,
  type PostgresPluginDescriptorOptions,
} from "./secrets/database/plugins/postgres/postgres-plugin.js";
export type { QueryablePool, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "./util/postgres-pool.js";
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
export type { EnginePeer } from "./observability/engine-heartbeat.js";
export type { ChangeFeedState } from "./config/config-sync.js";
export type { GuardrailOptions } from "./leases/lease-quotas.js";
export {
  PolicyEvaluator,
  parsePolicy,
  DEFAULT_POLICY,
  DEFAULT_POLICY_TEXT,
  ROOT_POLICY,
  type EvaluationRequest,
  type EvaluationResult,
  type PolicyOperation,
  type Refusal,
  type Policy,
  type PathRule,
  type ParameterConstraints,
  type Capability,
  type LegacyPolicy,
} from "./policy/policy-api.js";
export { CredentialLease, openCredentialLease, type CredentialLeaseOptions } from "./credential-pool/credential-lease.js";
export type {
  CredentialInfo,
  LeasedCredentials,
  RotateReason,
  RotateEvent,
  RenewEvent,
  FailureEvent,
  CredentialAction,
  CredentialLeaseEvents,
} from "./credential-pool/credential-events.js";
export { DEFAULT_RENEW_FRACTION, type RetryOptions } from "./credential-pool/lease-timing.js";
export { openCredentialPool } from "./credential-pool/credential-pool.js";
export type { CredentialPool, CredentialPoolMembers, CredentialPoolOptions, CredentialPoolConnection } from "./credential-pool/credential-pool-types.js";
