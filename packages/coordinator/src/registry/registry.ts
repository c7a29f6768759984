import { randomUUID } from 'node:crypto';
import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import type { FunctionSpec } from '@zonesim/protocol';
import { CodeStore, inspectZip, isCodeError } from '@zonesim/code';
import { invalidParameter, resourceConflict, resourceNotFound } from '../errors.js';
import type { CreateFunctionInput } from './create-function-input.js';
import { functionArn } from './function-name.js';
import { toFunctionSpec, type FunctionRecord } from './function-record.js';
import type { RegistryStore } from './registry-store.js';
import type { EventInvokeConfig } from './event-invoke-config.js';

/** Settings of the registry. */
export interface RegistrySettings {
  region: string;
  accountId: string;
  maxUnzippedBytes: number;
  maxZipBytes: number;
  activationDelayMs: number;
}

/**
 * Deployed functions and their code. Code is stored content-addressed by SHA-256 in a
 * {@link CodeStore} on disk, so identical packages are stored once; function records are held in
 * memory and written through to a {@link RegistryStore}, so they survive a coordinator crash.
 */
export class Registry {
  readonly #functions = new Map<string, FunctionRecord>();
  readonly #specs = new Map<string, FunctionSpec>();
  readonly #store: CodeStore;
  readonly #settings: RegistrySettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #timers = new Set<TimerHandle>();
  readonly #records: RegistryStore | undefined;

  constructor(args: { store: CodeStore; records?: RegistryStore; settings: RegistrySettings; clock: Clock; log: Logger }) {
    this.#store = args.store;
    this.#records = args.records;
    this.#settings = args.settings;
    this.#clock = args.clock;
    this.#log = args.log;
  }

  get codeStore(): CodeStore {
    return this.#store;
  }

  /**
   * CreateFunction: validates the package (a bad zip is refused with InvalidParameterValueException
   * and nothing is stored), stores the code, and records the function as `Pending`, then `Active`.
   */
  async create(input: CreateFunctionInput): Promise<FunctionRecord> {
    if (this.#functions.has(input.functionName)) {
      throw resourceConflict(`Function already exist: ${input.functionName}`);
    }
    let info;
    try {
      info = await inspectZip(input.zipFile, {
        maxUnzippedBytes: this.#settings.maxUnzippedBytes,
        maxZippedBytes: this.#settings.maxZipBytes,
      });
    } catch (err: unknown) {
      if (isCodeError(err)) throw invalidParameter(err.message, err);
      throw err;
    }
    // A concurrent create of the same name may have won while the zip was inspected.
    if (this.#functions.has(input.functionName)) {
      throw resourceConflict(`Function already exist: ${input.functionName}`);
    }
    await this.#store.put(input.zipFile);
    const record: FunctionRecord = {
      name: input.functionName,
      arn: functionArn(this.#settings, input.functionName),
      runtime: input.runtime,
      role: input.role,
      handler: input.handler,
      description: input.description,
      memorySize: input.memorySize,
      timeout: input.timeout,
      environment: input.environment,
      architecture: input.architecture,
      ephemeralStorageMb: input.ephemeralStorageMb,
      tags: input.tags,
      codeSha256Hex: info.sha256Hex,
      codeSha256: info.sha256Base64,
      codeSize: info.codeSize,
      lastModified: this.#clock.now(),
      revisionId: randomUUID(),
      state: this.#settings.activationDelayMs > 0 ? 'Pending' : 'Active',
      lastUpdateStatus: 'Successful',
    };
    // Written through before the caller hears 201: an acknowledged function survives a crash.
    this.#records?.put(record);
    this.#functions.set(record.name, record);
    if (record.state === 'Pending') this.#activateLater(record);
    this.#log.info({ function: record.name, codeSha256: record.codeSha256Hex, codeSize: record.codeSize }, 'function created');
    return { ...record };
  }

  /** The function, or ResourceNotFoundException in Lambda's words. */
  get(name: string, qualifier?: string): FunctionRecord {
    const record = this.#functions.get(name);
    if (!record) throw resourceNotFound(`Function not found: ${functionArn(this.#settings, name, qualifier)}`);
    if (qualifier !== undefined && qualifier !== '$LATEST') {
      // Versions and aliases come with the Lambda API issue; until then only $LATEST exists.
      throw resourceNotFound(`Function not found: ${functionArn(this.#settings, name, qualifier)}`);
    }
    return record;
  }

  /** Sets (or with undefined, deletes) the function's asynchronous invocation settings; persisted. */
  setEventInvokeConfig(name: string, config: EventInvokeConfig | undefined): FunctionRecord {
    const record = this.get(name);
    if (config === undefined) delete record.eventInvokeConfig;
    else record.eventInvokeConfig = config;
    this.#records?.put(record);
    return record;
  }

  /** The spec zone nodes run for the function (cached per revision). */
  spec(record: FunctionRecord): FunctionSpec {
    let spec = this.#specs.get(record.revisionId);
    if (!spec) {
      spec = toFunctionSpec(record, this.#settings.region);
      this.#specs.set(record.revisionId, spec);
    }
    return spec;
  }

  /** The configurations functions run now; any other key is stale (deleted or changed since). */
  currentSpecKeys(): Set<string> {
    return new Set([...this.#functions.values()].map((r) => this.spec(r).specKey));
  }

  /** All functions, sorted by name. */
  list(): FunctionRecord[] {
    return [...this.#functions.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** DeleteFunction. The code blob stays if another function uses the same package. */
  async delete(name: string): Promise<void> {
    const record = this.get(name);
    this.#records?.remove(name);
    this.#functions.delete(name);
    this.#specs.delete(record.revisionId);
    const stillUsed = [...this.#functions.values()].some((f) => f.codeSha256Hex === record.codeSha256Hex);
    if (!stillUsed) await this.#store.delete(record.codeSha256Hex);
    this.#log.info({ function: name }, 'function deleted');
  }

  /** Loads the functions a previous run stored; a function caught `Pending` by a crash is `Active` now. */
  load(): number {
    this.#records?.open();
    for (const record of this.#records?.loadAll() ?? []) {
      this.#functions.set(record.name, { ...record, state: record.state === 'Pending' ? 'Active' : record.state });
    }
    return this.#functions.size;
  }

  stop(): void {
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    this.#records?.close();
  }

  #activateLater(record: FunctionRecord): void {
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      const live = this.#functions.get(record.name);
      if (live && live.revisionId === record.revisionId) {
        live.state = 'Active';
        this.#records?.put(live);
      }
    }, this.#settings.activationDelayMs);
    this.#timers.add(timer);
  }
}
