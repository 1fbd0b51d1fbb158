/**
 * The audit broker: the table of enabled audit devices, and the recording of every request and
 * response through them.
 *
 * @module
 */
import { AuditFailedError, InvalidRequestError } from "../errors.js";
import type { JsonStore } from "../storage/json-store.js";
import type { RequestContext } from "../request-context.js";
import type { Clock } from "../util/clock.js";
import { UnavailableAuditDevice, type AuditDevice, type AuditSink } from "./audit-device.js";
import type { AuditEntry } from "./audit-entry.js";
import type { AuditHasher } from "./audit-hasher.js";
import { parseAuditDeviceConfig, type AuditDeviceConfig } from "./audit-device-config.js";
import { FileAuditDevice } from "./file-audit-device.js";
import { StreamAuditDevice } from "./stream-audit-device.js";
import { RequestAudit } from "./request-audit.js";
import type { AuditRecorder } from "./audit-recorder.js";

const TABLE_KEY = "core/audit-devices";

/** What the broker works with. */
export interface AuditBrokerOptions {
  /** The engine's core storage view (the device table lives there). */
  store: JsonStore;
  /** The keyed hash shared by every device. */
  hasher: AuditHasher;
  /** Host-provided destinations of `stream` devices, by name. */
  sinks: Record<string, AuditSink>;
  clock: Clock;
  /** Told when one device fails to record (the request may still succeed through another). */
  onDeviceFailure?: (device: string, error: unknown) => void;
}

interface EnabledDevice {
  config: AuditDeviceConfig;
  device: AuditDevice;
}

/**
 * Keeps the enabled audit devices and records entries through them. With no device enabled,
 * nothing is recorded and requests pay nothing. With devices enabled, an entry must be accepted by
 * at least one of them, or the request fails with {@link AuditFailedError} (fail closed, as Vault).
 */
export class AuditBroker implements AuditRecorder {
  readonly #options: AuditBrokerOptions;
  #devices = new Map<string, EnabledDevice>();

  /** @param options - storage, hasher, sinks and clock */
  constructor(options: AuditBrokerOptions) {
    this.#options = options;
  }

  /** Whether any device is enabled (then every request is recorded). */
  get active(): boolean {
    return this.#devices.size > 0;
  }

  /** The keyed hash every device's entries use. */
  get hasher(): AuditHasher {
    return this.#options.hasher;
  }

  /** The engine's clock (entries are stamped with it). */
  get clock(): Clock {
    return this.#options.clock;
  }

  /**
   * Loads the HMAC key and re-opens the devices enabled before. A device that cannot be opened now
   * stays enabled but cannot record (so requests fail closed until it is fixed or disabled).
   */
  async load(): Promise<void> {
    await this.#options.hasher.load();
    const saved = (await this.#options.store.get<AuditDeviceConfig[]>(TABLE_KEY)) ?? [];
    for (const config of saved) {
      this.#devices.set(config.path, { config, device: await this.#openOrUnavailable(config) });
    }
  }

  /** The enabled devices' configurations, by path. */
  list(): AuditDeviceConfig[] {
    return [...this.#devices.values()].map((enabled) => enabled.config);
  }

  /**
   * Enables a device at `path`: validates, opens it (a file that cannot be opened is an error and
   * nothing is stored), then persists the table.
   *
   * @throws InvalidRequestError for a taken path, an unknown type, missing or bad options
   */
  async enable(rawPath: string, data: Record<string, unknown>): Promise<void> {
    const config = parseAuditDeviceConfig(rawPath, data, Object.keys(this.#options.sinks));
    if (this.#devices.has(config.path)) throw new InvalidRequestError(`an audit device is already enabled at ${JSON.stringify(config.path)}`);
    const device = await this.#open(config);
    const next = new Map(this.#devices).set(config.path, { config, device });
    try {
      await this.#save(next);
    } catch (err) {
      await device.close?.();
      throw err;
    }
    this.#devices = next;
  }

  /** Disables the device at `path` (no error if none is there), closing its file. */
  async disable(rawPath: string): Promise<void> {
    const path = rawPath.replace(/^\/+|\/+$/g, "");
    const enabled = this.#devices.get(path);
    if (!enabled) return;
    const next = new Map(this.#devices);
    next.delete(path);
    await this.#save(next);
    this.#devices = next;
    await enabled.device.close?.();
  }

  /**
   * `sys/audit-hash/<path>`: the hash the device at `path` records for `input`.
   *
   * @throws InvalidRequestError when no device is enabled at `path`
   */
  hash(rawPath: string, input: string): string {
    const path = rawPath.replace(/^\/+|\/+$/g, "");
    if (!this.#devices.has(path)) throw new InvalidRequestError(`no audit device is enabled at ${JSON.stringify(path)}`);
    return this.#options.hasher.hash(input);
  }

  /**
   * Starts the audit trail of one request, read from its context at each record point (a no-op
   * trail when no device is enabled).
   */
  begin(context: RequestContext): RequestAudit {
    return new RequestAudit(this, context);
  }

  /**
   * Records one entry on every device. `build(hmacAccessor)` builds the entry for devices that do
   * or do not hash accessors.
   *
   * @throws AuditFailedError when no device accepted the entry
   */
  async record(build: (hmacAccessor: boolean) => AuditEntry, what: string): Promise<void> {
    const devices = [...this.#devices.values()];
    if (devices.length === 0) return;
    const built = new Map<boolean, AuditEntry>();
    const entryFor = (hmacAccessor: boolean) => {
      let entry = built.get(hmacAccessor);
      if (!entry) built.set(hmacAccessor, (entry = build(hmacAccessor)));
      return entry;
    };
    const results = await Promise.allSettled(devices.map(({ config, device }) => device.write(entryFor(config.hmacAccessor))));
    let recorded = false;
    results.forEach((result, i) => {
      if (result.status === "fulfilled") recorded = true;
      else this.#options.onDeviceFailure?.(devices[i]!.config.path, result.reason);
    });
    if (!recorded) {
      throw new AuditFailedError(`no enabled audit device could record the ${what}; the request was refused`);
    }
  }

  /** Closes every device's file. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#devices.values()].map(({ device }) => device.close?.()));
  }

  async #open(config: AuditDeviceConfig): Promise<AuditDevice> {
    if (config.type === "stream") return new StreamAuditDevice(this.#options.sinks[config.options.sink!]!);
    try {
      return await FileAuditDevice.open(config.options.file_path!, config.fileMode);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? "unknown error";
      throw new InvalidRequestError(`cannot open audit file ${JSON.stringify(config.options.file_path)}: ${reason}`);
    }
  }

  async #openOrUnavailable(config: AuditDeviceConfig): Promise<AuditDevice> {
    if (config.type === "stream" && !this.#options.sinks[config.options.sink!]) {
      return new UnavailableAuditDevice(`the audit sink ${JSON.stringify(config.options.sink)} was not passed to Engine.open({ auditSinks })`);
    }
    try {
      return await this.#open(config);
    } catch (err) {
      return new UnavailableAuditDevice((err as Error).message);
    }
  }

  async #save(devices: Map<string, EnabledDevice>): Promise<void> {
    await this.#options.store.put(TABLE_KEY, [...devices.values()].map((enabled) => enabled.config));
  }
}
