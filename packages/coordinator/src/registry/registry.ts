import { type Entropy } from '@zonesim/common';
import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import type { FunctionSpec } from '@zonesim/protocol';
import { isCodeError, type CodeStore, type ZipInfo } from '@zonesim/code';
import { MAX_IMAGE_PACKAGE_BYTES, MAX_IMAGE_UNPACKED_BYTES } from '@zonesim/protocol';
import { isImageError, type ImageBuilder } from '../images/index.js';
import type { ImageConfigOverrides, ImageRecord } from '../images/image-config.js';
import type { PackageJobs } from '../uploads/package-jobs.js';
import { LambdaApiError, invalidParameter, resourceConflict, resourceNotFound } from '../errors.js';
import type { ConfigurationPatch, CreateFunctionInput } from './create-function-input.js';
import { functionArn } from './function-name.js';
import { checkSyntheticPackage, filesToRead } from './synthetic-package.js';
import { snapshotOf, toFunctionSpec, type AliasRecord, type FunctionRecord, type FunctionVersionView } from './function-record.js';
import type { RegistryStore } from './registry-store.js';
import type { EventInvokeConfig } from './event-invoke-config.js';
import type { ProvisionedConcurrencyRecord } from './function-record.js';
import type { StoredPolicy } from './resource-policy.js';
import { LayerCatalog, MAX_FUNCTION_WITH_LAYERS_BYTES, type FunctionLayer } from '../layers/layer-catalog.js';
import type { FunctionSettings } from './function-settings.js';

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
 * Whatever costs time in proportion to a package (inspecting it, hashing and writing it, building
 * an image) runs in the upload workers through {@link PackageJobs}, never on the event loop
 * (issue 15, finding 4); the order of the checks, and so every error, is the same as before.
 */
export class Registry {
  readonly #functions = new Map<string, FunctionRecord>();
  readonly #specs = new Map<string, FunctionSpec>();
  readonly #store: CodeStore;
  readonly #settings: RegistrySettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #timers = new Set<TimerHandle>();
  readonly #changeListeners: Array<(name: string) => void> = [];
  readonly #records: RegistryStore | undefined;
  readonly #images: ImageBuilder | undefined;
  readonly #jobs: PackageJobs;

  constructor(args: { store: CodeStore; jobs: PackageJobs; records?: RegistryStore; settings: RegistrySettings; clock: Clock; entropy: Entropy; log: Logger; images?: ImageBuilder }) {
    this.#store = args.store;
    this.#jobs = args.jobs;
    this.#images = args.images;
    this.#records = args.records;
    this.#settings = args.settings;
    this.#clock = args.clock;
    this.entropy = args.entropy;
    this.#log = args.log;
    this.layers = new LayerCatalog({
      settings: { region: args.settings.region, accountId: args.settings.accountId, maxZipBytes: args.settings.maxZipBytes, maxUnzippedBytes: args.settings.maxUnzippedBytes },
      store: args.store,
      jobs: args.jobs,
      ...(args.records ? { records: args.records } : {}),
      clock: args.clock,
      log: args.log,
      newRevision: () => this.entropy.uuid(),
    });
    this.layers.setBlobInUse((sha) => this.#blobInUse(sha));
  }

  /** Published layer versions (layers/layer-catalog.ts), in the same stores as functions. */
  readonly layers: LayerCatalog;

  /** True when any function version uses the blob as its package or as one of its layers. */
  #blobInUse(sha: string): boolean {
    for (const f of this.#functions.values()) {
      for (const v of [f, ...(f.versions ?? [])]) if (v.codeSha256Hex === sha || v.layers?.some((l) => l.sha256Hex === sha)) return true;
    }
    return false;
  }

  /**
   * The layers `arns` name, resolved, with Lambda's 250 MB check of the package and its layers
   * together (image functions take none).
   */
  #layersFor(arns: readonly string[] | undefined, packageUnzipped: number, image: boolean): FunctionLayer[] | undefined {
    if (arns === undefined) return undefined;
    if (arns.length === 0) return [];
    if (image) throw invalidParameter('Layers are not supported for functions with PackageType Image; put the libraries in the image.');
    const layers = this.layers.resolve(arns);
    checkSizeWithLayers(packageUnzipped, layers);
    return layers;
  }

  /** Revision ids and alias picks; seeded in virtual time. */
  readonly entropy: Entropy;

  get codeStore(): CodeStore {
    return this.#store;
  }

  /** Container images (`PackageType: Image`), when the coordinator has a place for them. */
  get images(): ImageBuilder | undefined {
    return this.#images;
  }

  /** The upload workers' jobs (the function routes parse large bodies with them). */
  get jobs(): PackageJobs {
    return this.#jobs;
  }

  /**
   * Builds the image `uri` names into a zip of its root (docs/runtimes.md) and checks that zip as
   * a zone node will. A bad image is InvalidParameterValueException naming what is wrong.
   */
  async #buildImage(uri: string, overrides: ImageConfigOverrides | undefined): Promise<{ zipFile: Buffer; info: ZipInfo; image: ImageRecord }> {
    if (!this.#images) throw invalidParameter('This coordinator has no image store; PackageType Image is not available.');
    try {
      const { built, info } = await this.#jobs.buildImage(uri, this.#images.settings, { maxZippedBytes: MAX_IMAGE_PACKAGE_BYTES, maxUnzippedBytes: MAX_IMAGE_UNPACKED_BYTES });
      this.#log.info({ imageUri: uri, digest: built.digest, format: built.format, unpackedBytes: built.unpackedBytes }, 'image unpacked');
      return { zipFile: built.zip, info, image: { uri, digest: built.digest, config: built.config, ...(overrides ? { overrides } : {}) } };
    } catch (err) {
      if (isImageError(err)) throw invalidParameter(`Image ${uri} is not usable: ${err.message}`, err);
      if (isCodeError(err)) throw invalidParameter(`Image ${uri} is not usable: ${err.message.replace(/^Could not unzip uploaded file\. Please check your file, then try to upload again\. /, '')}`, err);
      throw err;
    }
  }

  /**
   * CreateFunction: validates the package (a bad zip is refused with InvalidParameterValueException
   * and nothing is stored), stores the code, and records the function as `Pending`, then `Active`.
   */
  async create(input: CreateFunctionInput): Promise<FunctionRecord> {
    if (this.#functions.has(input.functionName)) {
      throw resourceConflict(`Function already exist: ${input.functionName}`);
    }
    let image: ImageRecord | undefined;
    let zip: Buffer;
    let info: ZipInfo;
    if (input.image) {
      // The image's root zip was inspected where it was built, under the image limits.
      ({ zipFile: zip, info, image } = await this.#buildImage(input.image.uri, input.image.overrides));
    } else {
      ({ zip, info } = await this.#inspect(input.zipFile, input.runtime));
    }
    checkSyntheticPackage(input.runtime, info);
    const layers = this.#layersFor(input.layers, info.unzippedSize, input.image !== undefined);
    // A concurrent create of the same name may have won while the zip was inspected.
    if (this.#functions.has(input.functionName)) {
      throw resourceConflict(`Function already exist: ${input.functionName}`);
    }
    await this.#jobs.store(zip);
    const record: FunctionRecord = {
      name: input.functionName,
      version: '$LATEST',
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
      // For an image Lambda's CodeSha256 is the image digest's hex; zone nodes fetch the root's zip.
      codeSha256: image ? image.digest.slice('sha256:'.length) : info.sha256Base64,
      codeSize: info.codeSize,
      lastModified: this.#clock.now(),
      revisionId: this.entropy.uuid(),
      state: this.#settings.activationDelayMs > 0 ? 'Pending' : 'Active',
      lastUpdateStatus: 'Successful',
      ...(image ? { image } : {}),
      ...(Object.keys(input.settings).length > 0 ? { settings: input.settings } : {}),
      unzippedSize: info.unzippedSize,
      ...(layers && layers.length > 0 ? { layers } : {}),
    };
    // Written through before the caller hears 201: an acknowledged function survives a crash.
    this.#records?.put(record);
    this.#functions.set(record.name, record);
    if (record.state === 'Pending') this.#activateLater(record);
    this.#log.info({ function: record.name, codeSha256: record.codeSha256Hex, codeSize: record.codeSize }, 'function created');
    if (input.publish) this.publishVersion(record.name, {});
    return record;
  }

  /**
   * The function, or ResourceNotFoundException in Lambda's words. With a qualifier, the version or
   * alias must exist too.
   */
  get(name: string, qualifier?: string): FunctionRecord {
    const record = this.#functions.get(name);
    if (!record) throw resourceNotFound(`Function not found: ${functionArn(this.#settings, name, qualifier)}`);
    if (qualifier !== undefined) this.resolve(name, qualifier);
    return record;
  }

  /**
   * The version a qualifier names: `$LATEST` (or none), a version number, or an alias. For an
   * alias, `pick: true` applies its routing weights (one random draw per invocation, as Lambda
   * routes per request); otherwise its primary version.
   */
  resolve(name: string, qualifier: string | undefined, options: { pick?: boolean } = {}): FunctionVersionView {
    const record = this.#functions.get(name);
    const notFound = () => resourceNotFound(`Function not found: ${functionArn(this.#settings, name, qualifier)}`);
    if (!record) throw notFound();
    if (qualifier === undefined || qualifier === '' || qualifier === '$LATEST') return record;
    if (/^\d+$/.test(qualifier)) {
      const v = record.versions?.find((x) => x.version === qualifier);
      if (!v) throw notFound();
      return v;
    }
    const alias = record.aliases?.find((a) => a.name === qualifier);
    if (!alias) throw notFound();
    let version = alias.functionVersion;
    if (options.pick) {
      let draw = this.entropy.random();
      for (const [v, weight] of Object.entries(alias.additionalVersionWeights)) {
        if (draw < weight) {
          version = v;
          break;
        }
        draw -= weight;
      }
    }
    return version === '$LATEST' ? record : this.resolve(name, version);
  }

  /**
   * PublishVersion: snapshots `$LATEST` as the next version number. If nothing changed since the last
   * version, Lambda returns that version instead of publishing a new one.
   */
  publishVersion(name: string, input: { description?: string; codeSha256?: string; revisionId?: string }): FunctionVersionView {
    const record = this.get(name);
    if (input.codeSha256 !== undefined && input.codeSha256 !== record.codeSha256) {
      throw invalidParameter(`CodeSHA256 (${input.codeSha256}) is different from current CodeSHA256 in $LATEST (${record.codeSha256}). Please try again with the CodeSHA256 in $LATEST.`);
    }
    if (input.revisionId !== undefined && input.revisionId !== record.revisionId) {
      throw new LambdaApiError('PreconditionFailedException', 412, 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
    }
    const versions = (record.versions ??= []);
    const last = versions[versions.length - 1];
    if (last && last.publishedFrom === record.revisionId) return last;
    const number = record.nextVersion ?? 1;
    const view: FunctionVersionView = {
      ...snapshotOf(record),
      version: String(number),
      description: input.description ?? record.description,
      revisionId: this.entropy.uuid(),
      lastModified: this.#clock.now(),
      publishedFrom: record.revisionId,
    };
    versions.push(view);
    record.nextVersion = number + 1;
    this.#records?.put(record);
    this.#log.info({ function: name, version: view.version }, 'version published');
    return view;
  }

  /** Versions of a function, `$LATEST` first, as ListVersionsByFunction shows them. */
  listVersions(name: string): FunctionVersionView[] {
    const record = this.get(name);
    return [record, ...(record.versions ?? [])];
  }

  /** Deletes one published version; refused while an alias points at it. */
  deleteVersion(name: string, version: string): void {
    const record = this.get(name);
    const index = record.versions?.findIndex((v) => v.version === version) ?? -1;
    if (index < 0) throw resourceNotFound(`Function not found: ${functionArn(this.#settings, name, version)}`);
    const users = (record.aliases ?? []).filter((a) => a.functionVersion === version || version in a.additionalVersionWeights);
    if (users.length > 0) {
      throw resourceConflict(`Unable to delete version because the following aliases reference it: [${users.map((a) => a.name).join(', ')}]`);
    }
    const [removed] = record.versions!.splice(index, 1);
    if (removed) this.#specs.delete(removed.revisionId);
    if (record.policies?.[version]) delete record.policies[version];
    this.#records?.put(record);
    this.#changed(name);
  }

  /**
   * Calls `listener` after a function's versions or aliases change or the function is deleted
   * (provisioned concurrency follows what its qualifier points at).
   */
  onFunctionChanged(listener: (name: string) => void): void {
    this.#changeListeners.push(listener);
  }

  #changed(name: string): void {
    for (const l of this.#changeListeners) l(name);
  }

  /** Creates or replaces an alias (validated by the caller), persisted with the function. */
  putAlias(name: string, alias: AliasRecord): void {
    const record = this.get(name);
    const aliases = (record.aliases ??= []);
    const i = aliases.findIndex((a) => a.name === alias.name);
    if (i >= 0) aliases[i] = alias;
    else aliases.push(alias);
    this.#records?.put(record);
    this.#changed(name);
  }

  getAlias(name: string, aliasName: string): AliasRecord {
    const alias = this.get(name).aliases?.find((a) => a.name === aliasName);
    if (!alias) throw resourceNotFound(`Alias not found: ${functionArn(this.#settings, name, aliasName)}`);
    return alias;
  }

  deleteAlias(name: string, aliasName: string): void {
    const record = this.get(name);
    const before = record.aliases?.length ?? 0;
    record.aliases = (record.aliases ?? []).filter((a) => a.name !== aliasName);
    if (record.aliases.length === before) throw resourceNotFound(`Alias not found: ${functionArn(this.#settings, name, aliasName)}`);
    if (record.policies?.[aliasName]) delete record.policies[aliasName];
    this.#records?.put(record);
    this.#changed(name);
  }

  /**
   * UpdateFunctionConfiguration: changes `$LATEST` (a new revision, so new environments; published
   * versions are immutable and unaffected).
   */
  updateConfiguration(name: string, patch: ConfigurationPatch): FunctionRecord {
    const record = this.get(name);
    this.#checkRevision(record, patch.revisionId);
    const { revisionId: _ignored, imageConfig, settings: given, layers: layerArns, ...fields } = patch;
    const layers = this.#layersFor(layerArns, record.unzippedSize ?? 0, record.image !== undefined);
    if (layers !== undefined) {
      if (layers.length > 0) record.layers = layers;
      else delete record.layers;
    }
    if (given) {
      const { clearVpc, ...changes } = given;
      const next: FunctionSettings = { ...record.settings, ...changes };
      if (clearVpc) delete next.vpc;
      record.settings = next;
    }
    if (imageConfig) {
      if (!record.image) throw invalidParameter('ImageConfig is only supported for functions with PackageType Image.');
      record.image = { ...record.image, overrides: imageConfig };
    }
    if (record.image && (fields.runtime !== undefined || fields.handler !== undefined)) {
      throw invalidParameter('Runtime and Handler are not supported for functions with PackageType Image; use ImageConfig.');
    }
    Object.assign(record, fields, { revisionId: this.entropy.uuid(), lastModified: this.#clock.now(), lastUpdateStatus: 'Successful' });
    this.#records?.put(record);
    return record;
  }

  /** UpdateFunctionCode with `ImageUri`: a new image for an image function's `$LATEST`. */
  async updateImage(name: string, uri: string, revisionId?: string): Promise<FunctionRecord> {
    const record = this.get(name);
    this.#checkRevision(record, revisionId);
    if (!record.image) throw invalidParameter('Please provide ZipFile for functions with PackageType Zip.');
    const built = await this.#buildImage(uri, record.image.overrides);
    const info = built.info;
    await this.#jobs.store(built.zipFile);
    Object.assign(record, {
      image: built.image,
      codeSha256Hex: info.sha256Hex,
      codeSha256: built.image.digest.slice('sha256:'.length),
      codeSize: info.codeSize,
      revisionId: this.entropy.uuid(),
      lastModified: this.#clock.now(),
      lastUpdateStatus: 'Successful',
    });
    this.#records?.put(record);
    return record;
  }

  /** UpdateFunctionCode: a new package for `$LATEST`, checked like CreateFunction's. */
  async updateCode(name: string, zipFile: Buffer, revisionId?: string): Promise<FunctionRecord> {
    const record = this.get(name);
    this.#checkRevision(record, revisionId);
    if (record.image) throw invalidParameter('Please provide ImageUri for functions with PackageType Image.');
    const { info, zip } = await this.#inspect(zipFile, record.runtime);
    checkSyntheticPackage(record.runtime, info);
    // The new package with the layers the function keeps: Lambda's 250 MB again.
    checkSizeWithLayers(info.unzippedSize, record.layers ?? []);
    await this.#jobs.store(zip);
    Object.assign(record, {
      unzippedSize: info.unzippedSize,
      codeSha256Hex: info.sha256Hex,
      codeSha256: info.sha256Base64,
      codeSize: info.codeSize,
      revisionId: this.entropy.uuid(),
      lastModified: this.#clock.now(),
      lastUpdateStatus: 'Successful',
    });
    this.#records?.put(record);
    return record;
  }

  /**
   * Checks a package in an upload worker under the function limits; a bad zip is
   * InvalidParameterValueException with the check's message. `zipFile` is moved to the worker: use
   * the `zip` handed back.
   */
  async #inspect(zipFile: Buffer, runtime: string): Promise<{ info: ZipInfo; zip: Buffer }> {
    try {
      return await this.#jobs.inspect(zipFile, { maxUnzippedBytes: this.#settings.maxUnzippedBytes, maxZippedBytes: this.#settings.maxZipBytes }, filesToRead(runtime));
    } catch (err: unknown) {
      if (isCodeError(err)) throw invalidParameter(err.message, err);
      throw err;
    }
  }

  #checkRevision(record: FunctionRecord, revisionId: string | undefined): void {
    if (revisionId !== undefined && revisionId !== record.revisionId) {
      throw new LambdaApiError('PreconditionFailedException', 412, 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
    }
  }

  /** The resource policy of `qualifier` (`$LATEST` for the unqualified function), if any. */
  policy(name: string, qualifier: string): StoredPolicy | undefined {
    return this.get(name).policies?.[qualifier];
  }

  /**
   * Replaces (or with undefined, deletes) the resource policy of `qualifier` with what `change`
   * makes of the current one; persisted. `change` gets a fresh revision id for the new policy.
   */
  changePolicy(name: string, qualifier: string, change: (current: StoredPolicy | undefined, newRevision: string) => StoredPolicy | undefined): StoredPolicy | undefined {
    const record = this.get(name, qualifier === '$LATEST' ? undefined : qualifier);
    const next = change(record.policies?.[qualifier], this.entropy.uuid());
    const all = { ...(record.policies ?? {}) };
    if (next) all[qualifier] = next;
    else delete all[qualifier];
    if (Object.keys(all).length === 0) delete record.policies;
    else record.policies = all;
    this.#records?.put(record);
    return next;
  }

  /** Replaces the function's tags; persisted. */
  setTags(name: string, tags: Record<string, string>): void {
    const record = this.get(name);
    record.tags = tags;
    this.#records?.put(record);
  }

  /** Records the function's reserved concurrency (validated by the caller); persisted. */
  setReservedConcurrency(name: string, value: number | undefined): void {
    const record = this.get(name);
    if (value === undefined) delete record.reservedConcurrency;
    else record.reservedConcurrency = value;
    this.#records?.put(record);
  }

  /** Sets (or with undefined, deletes) a provisioned-concurrency configuration; persisted. */
  setProvisionedConcurrency(name: string, qualifier: string, value: ProvisionedConcurrencyRecord | undefined): void {
    const record = this.get(name);
    const all = { ...(record.provisionedConcurrency ?? {}) };
    if (value === undefined) delete all[qualifier];
    else all[qualifier] = value;
    if (Object.keys(all).length === 0) delete record.provisionedConcurrency;
    else record.provisionedConcurrency = all;
    this.#records?.put(record);
  }

  /** True when `version` is `$LATEST` or a published version of the function. */
  hasVersion(name: string, version: string): boolean {
    const record = this.get(name);
    return version === '$LATEST' || (record.versions ?? []).some((v) => v.version === version);
  }

  /** Sets (or with undefined, deletes) the function's asynchronous invocation settings; persisted. */
  setEventInvokeConfig(name: string, config: EventInvokeConfig | undefined): FunctionRecord {
    const record = this.get(name);
    if (config === undefined) delete record.eventInvokeConfig;
    else record.eventInvokeConfig = config;
    this.#records?.put(record);
    return record;
  }

  /** The spec zone nodes run for one version of a function (cached per revision). */
  spec(record: FunctionVersionView): FunctionSpec {
    let spec = this.#specs.get(record.revisionId);
    if (!spec) {
      spec = toFunctionSpec(record, this.#settings.region);
      this.#specs.set(record.revisionId, spec);
    }
    return spec;
  }

  /** The configurations functions run now; any other key is stale (deleted or changed since). */
  currentSpecKeys(): Set<string> {
    const keys = new Set<string>();
    for (const r of this.#functions.values()) for (const v of [r, ...(r.versions ?? [])]) keys.add(this.spec(v).specKey);
    return keys;
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
    const views = [record, ...(record.versions ?? [])];
    for (const v of views) this.#specs.delete(v.revisionId);
    // A blob stays while any function or version still uses it, as its package or a layer, and
    // while a published layer version holds it.
    const blobs = new Set(views.flatMap((v) => [v.codeSha256Hex, ...(v.layers ?? []).map((l) => l.sha256Hex)]));
    for (const sha of blobs) if (!this.#blobInUse(sha) && !this.layers.blobInUse(sha)) await this.#store.delete(sha);
    this.#log.info({ function: name }, 'function deleted');
    this.#changed(name);
  }

  /** Loads the functions a previous run stored; a function caught `Pending` by a crash is `Active` now. */
  load(): number {
    this.#records?.open();
    this.layers.load();
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

/** Lambda's 250 MB for a package and its layers, unzipped. */
function checkSizeWithLayers(packageUnzipped: number, layers: readonly FunctionLayer[]): void {
  const total = packageUnzipped + layers.reduce((sum, l) => sum + l.unzippedSize, 0);
  if (total > MAX_FUNCTION_WITH_LAYERS_BYTES) {
    throw invalidParameter(`Function code combined with layers exceeds the maximum allowed size of ${MAX_FUNCTION_WITH_LAYERS_BYTES} bytes. The actual size is ${total} bytes.`);
  }
}
