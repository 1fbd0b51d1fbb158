/**
 * The audit broker: the table of enabled audit devices, and the recording of every request and
 * response through them.
 *
 * @module
 */
import { AuditFailedError, InvalidRequestError } from "../errors.js";
import { UNCHANGED, type JsonStore } from "../storage/json-store.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
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

/** The full storage key of the device table, for the change feed. */
export const AUDIT_TABLE_KEY = TABLE_KEY;

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
  /** Serializes enable, disable and reloads, so a reload never undoes a change being made. */
  readonly #lock = new KeyedMutex();

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
    await this.reload();
  }

  /**
   * Re-reads the device table from storage (another engine on the same storage changed it, or
   * this one must confirm it): opens the devices added, closes the ones removed.
   */
  reload(): Promise<void> {
    return this.#lock.run("table", async () => {
      const saved = (await this.#options.store.get<AuditDeviceConfig[]>(TABLE_KEY)) ?? [];
      await this.#adopt(saved);
    });
  }

  /** The enabled devices' configurations, by path. */
  list(): AuditDeviceConfig[] {
    return [...this.#devices.values()].map((enabled) => enabled.config);
  }

  /**
   * Enables a device at `path`: validates, opens it (a file that cannot be opened is an error and
   * nothing is stored), then adds it to the stored table — atomically, so engines enabling
   * devices at once through one storage keep every one of them.
   *
   * @throws InvalidRequestError for a taken path, an unknown type, missing or bad options
   */
  enable(rawPath: string, data: Record<string, unknown>): Promise<void> {
    const config = parseAuditDeviceConfig(rawPath, data, Object.keys(this.#options.sinks));
    return this.#lock.run("table", async () => {
      if (this.#devices.has(config.path)) throw new InvalidRequestError(`an audit device is already enabled at ${JSON.stringify(config.path)}`);
      const device = await this.#open(config);
      let result: { next: AuditDeviceConfig[] | undefined | typeof UNCHANGED };
      try {
        result = await this.#options.store.update<AuditDeviceConfig[]>(TABLE_KEY, (current) =>
          (current ?? []).some((saved) => saved.path === config.path) ? UNCHANGED : [...(current ?? []), config],
        );
      } catch (err) {
        await device.close?.();
        throw err;
      }
      if (result.next === UNCHANGED) {
        await device.close?.();
        throw new InvalidRequestError(`an audit device is already enabled at ${JSON.stringify(config.path)}`);
      }
      this.#devices = new Map(this.#devices).set(config.path, { config, device });
      await this.#adopt(result.next ?? []);
    });
  }

  /** Disables the device at `path` (no error if none is there), closing its file. */
  disable(rawPath: string): Promise<void> {
    const path = rawPath.replace(/^\/+|\/+$/g, "");
    return this.#lock.run("table", async () => {
      const { next } = await this.#options.store.update<AuditDeviceConfig[]>(TABLE_KEY, (current) =>
        current?.some((saved) => saved.path === path) ? current.filter((saved) => saved.path !== path) : UNCHANGED,
      );
      const enabled = this.#devices.get(path);
      if (enabled) {
        const devices = new Map(this.#devices);
        devices.delete(path);
        this.#devices = devices;
        await enabled.device.close?.();
      }
      if (next !== UNCHANGED) await this.#adopt(next ?? []);
    });
  }

  /** Makes the open devices match `saved`: opens what is new or changed, closes what is gone. */
  async #adopt(saved: AuditDeviceConfig[]): Promise<void> {
    const next = new Map<string, EnabledDevice>();
    const closing: EnabledDevice[] = [];
    for (const config of saved) {
      const open = this.#devices.get(config.path);
      if (open && JSON.stringify(open.config) === JSON.stringify(config)) next.set(config.path, open);
      else next.set(config.path, { config, device: await this.#openOrUnavailable(config) });
    }
    for (const [path, open] of this.#devices) if (next.get(path) !== open) closing.push(open);
    this.#devices = next;
    await Promise.allSettled(closing.map(({ device }) => device.close?.()));
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

}
