import type { Clock, Logger } from '@zonesim/common';
import { isCodeError, type CodeStore, type ZipInfo } from '@zonesim/code';
import { invalidParameter, resourceNotFound, validationError } from '../errors.js';
import type { PackageJobs } from '../uploads/package-jobs.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { StoredPolicy } from '../registry/resource-policy.js';

/**
 * Lambda layers (issue 17; docs/api.md, Layers): zip archives published as immutable, numbered
 * versions of a named layer, stored in the code store beside function packages (zone nodes fetch
 * them the same way) and their metadata in the registry's database. A function names up to five
 * layer versions; zone nodes unpack them in order into the environment's `/opt`, later layers
 * overwriting earlier ones. A deleted version cannot be added to functions any more, but functions
 * that already use it keep it (its blob stays while any function version names it), as on Lambda.
 */

/** One published layer version, as stored. */
export interface LayerVersionRecord {
  name: string;
  version: number;
  description: string;
  licenseInfo?: string;
  compatibleRuntimes: string[];
  compatibleArchitectures: string[];
  sha256Hex: string;
  /** Lambda's `CodeSha256`: base64. */
  codeSha256: string;
  codeSize: number;
  unzippedSize: number;
  /** Epoch ms. */
  createdAt: number;
  /** Its resource policy (AddLayerVersionPermission), which goes with the version. */
  policy?: StoredPolicy;
}

/** What a function records of each layer it uses. */
export interface FunctionLayer {
  arn: string;
  sha256Hex: string;
  codeSize: number;
  unzippedSize: number;
}

/** Lambda's limits on layers. */
export const MAX_LAYERS_PER_FUNCTION = 5;
/** Function and layers together, unzipped (Lambda's 250 MB). */
export const MAX_FUNCTION_WITH_LAYERS_BYTES = 262_144_000;

const NAME = /^[a-zA-Z0-9-_]{1,140}$/;
const VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$/;
const LAYER_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+)$/;

/** Settings of {@link LayerCatalog}. */
export interface LayerCatalogSettings {
  region: string;
  accountId: string;
  maxZipBytes: number;
  maxUnzippedBytes: number;
}

/** What PublishLayerVersion asks for, validated. */
export interface PublishLayerInput {
  zipFile: Buffer;
  description: string;
  licenseInfo?: string;
  compatibleRuntimes: string[];
  compatibleArchitectures: string[];
}

export class LayerCatalog {
  readonly #settings: LayerCatalogSettings;
  readonly #store: CodeStore;
  readonly #jobs: PackageJobs;
  readonly #records: RegistryStore | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** Versions per layer name, oldest first (deleted ones gone). */
  readonly #layers = new Map<string, LayerVersionRecord[]>();
  /** The number each layer's next version gets: never reused, even after deletes. */
  readonly #next = new Map<string, number>();
  readonly #newRevision: () => string;
  /** Says whether any function version still names a blob (set by the registry). */
  #blobInUseByFunctions: (sha256Hex: string) => boolean = () => false;

  constructor(args: { settings: LayerCatalogSettings; store: CodeStore; jobs: PackageJobs; records?: RegistryStore; clock: Clock; log: Logger; newRevision: () => string }) {
    this.#newRevision = args.newRevision;
    this.#settings = args.settings;
    this.#store = args.store;
    this.#jobs = args.jobs;
    this.#records = args.records;
    this.#clock = args.clock;
    this.#log = args.log;
  }

  /** Reads the stored layers (start-up); returns how many versions there are. */
  load(): number {
    const all = this.#records?.loadLayers() ?? { versions: [], next: {} };
    for (const v of all.versions) this.#versionsOf(v.name).push(v);
    for (const list of this.#layers.values()) list.sort((a, b) => a.version - b.version);
    for (const [name, next] of Object.entries(all.next)) this.#next.set(name, next);
    return all.versions.length;
  }

  /** How the registry tells the catalog that functions still use a blob. */
  setBlobInUse(check: (sha256Hex: string) => boolean): void {
    this.#blobInUseByFunctions = check;
  }

  /** True when a layer version (deleted or not) still needs this blob. */
  blobInUse(sha256Hex: string): boolean {
    for (const list of this.#layers.values()) if (list.some((v) => v.sha256Hex === sha256Hex)) return true;
    return false;
  }

  layerArn(name: string): string {
    return `arn:aws:lambda:${this.#settings.region}:${this.#settings.accountId}:layer:${name}`;
  }

  versionArn(v: Pick<LayerVersionRecord, 'name' | 'version'>): string {
    return `${this.layerArn(v.name)}:${v.version}`;
  }

  /** PublishLayerVersion: checks and stores the archive, then records the next version. */
  async publish(rawName: string, input: PublishLayerInput): Promise<LayerVersionRecord> {
    const name = this.#nameOf(rawName);
    let info: ZipInfo;
    let zip: Buffer;
    try {
      ({ info, zip } = await this.#jobs.inspect(input.zipFile, { maxZippedBytes: this.#settings.maxZipBytes, maxUnzippedBytes: this.#settings.maxUnzippedBytes }));
    } catch (err) {
      if (isCodeError(err)) throw invalidParameter(err.message, err);
      throw err;
    }
    await this.#jobs.store(zip);
    const version = Math.max(this.#next.get(name) ?? 1, (this.#layers.get(name)?.at(-1)?.version ?? 0) + 1);
    const record: LayerVersionRecord = {
      name,
      version,
      description: input.description,
      ...(input.licenseInfo === undefined ? {} : { licenseInfo: input.licenseInfo }),
      compatibleRuntimes: input.compatibleRuntimes,
      compatibleArchitectures: input.compatibleArchitectures,
      sha256Hex: info.sha256Hex,
      codeSha256: info.sha256Base64,
      codeSize: info.codeSize,
      unzippedSize: info.unzippedSize,
      createdAt: this.#clock.now(),
    };
    // Written through before the caller hears 201.
    this.#records?.putLayerVersion(record, version + 1);
    this.#versionsOf(name).push(record);
    this.#next.set(name, version + 1);
    this.#log.info({ layer: name, version, sha: info.sha256Hex }, 'layer version published');
    return record;
  }

  /** One version, or ResourceNotFoundException. */
  get(rawName: string, version: number): LayerVersionRecord {
    const found = this.#layers.get(this.#nameOf(rawName))?.find((v) => v.version === version);
    if (!found) throw resourceNotFound('The resource you requested does not exist.');
    return found;
  }

  /**
   * Changes a version's resource policy (Add/RemoveLayerVersionPermission): `change` gets the
   * current policy and the revision id a changed one takes, and returns the new policy (undefined:
   * none left). Persisted before it returns.
   */
  changePolicy(rawName: string, version: number, change: (current: StoredPolicy | undefined, newRevision: string) => StoredPolicy | undefined): StoredPolicy | undefined {
    const v = this.get(rawName, version);
    const next = change(v.policy, this.#newRevision());
    if (next) v.policy = next;
    else delete v.policy;
    this.#records?.updateLayerVersion(v);
    return next;
  }

  /** GetLayerVersionByArn. */
  getByArn(arn: string): LayerVersionRecord {
    const m = VERSION_ARN.exec(arn);
    if (!m) throw validationError('arn', arn, 'Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+');
    if (m[1] !== this.#settings.region || m[2] !== this.#settings.accountId) throw resourceNotFound('The resource you requested does not exist.');
    return this.get(m[3]!, Number(m[4]));
  }

  /** Every layer with its newest version matching the filters, by name. */
  listLayers(filter: { runtime?: string; architecture?: string }): Array<{ name: string; latest: LayerVersionRecord }> {
    const out: Array<{ name: string; latest: LayerVersionRecord }> = [];
    for (const name of [...this.#layers.keys()].sort()) {
      const latest = this.listVersions(name, filter)[0];
      if (latest) out.push({ name, latest });
    }
    return out;
  }

  /** A layer's versions matching the filters, newest first (none: an empty list, as Lambda answers). */
  listVersions(rawName: string, filter: { runtime?: string; architecture?: string }): LayerVersionRecord[] {
    const list = this.#layers.get(this.#nameOf(rawName)) ?? [];
    return list
      .filter((v) => (filter.runtime === undefined || v.compatibleRuntimes.includes(filter.runtime)) && (filter.architecture === undefined || v.compatibleArchitectures.includes(filter.architecture)))
      .slice()
      .reverse();
  }

  /** DeleteLayerVersion: idempotent; the blob stays while functions use it. */
  async delete(rawName: string, version: number): Promise<void> {
    const name = this.#nameOf(rawName);
    const list = this.#layers.get(name);
    const index = list?.findIndex((v) => v.version === version) ?? -1;
    if (!list || index < 0) return;
    const [removed] = list.splice(index, 1);
    if (list.length === 0) this.#layers.delete(name);
    this.#records?.deleteLayerVersion(name, version);
    if (removed && !this.blobInUse(removed.sha256Hex) && !this.#blobInUseByFunctions(removed.sha256Hex)) await this.#store.delete(removed.sha256Hex);
  }

  /**
   * The layers a function names, in order, as it records them: at most five, each an existing
   * version ARN of this region and account, no layer twice; refused with Lambda's errors otherwise.
   */
  resolve(arns: readonly string[]): FunctionLayer[] {
    if (arns.length > MAX_LAYERS_PER_FUNCTION) {
      throw invalidParameter(`Cannot reference more than ${MAX_LAYERS_PER_FUNCTION} layers.`);
    }
    const seen = new Set<string>();
    return arns.map((arn) => {
      const m = VERSION_ARN.exec(arn);
      if (!m) throw validationError('layers', arn, 'Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+');
      if (seen.has(m[3]!)) throw invalidParameter(`Two different versions of the same layer are not allowed: ${this.layerArn(m[3]!)}`);
      seen.add(m[3]!);
      const found = m[1] === this.#settings.region && m[2] === this.#settings.accountId ? this.#layers.get(m[3]!)?.find((v) => v.version === Number(m[4])) : undefined;
      if (!found) throw invalidParameter(`Layer version ${arn} does not exist.`);
      return { arn: this.versionArn(found), sha256Hex: found.sha256Hex, codeSize: found.codeSize, unzippedSize: found.unzippedSize };
    });
  }

  #versionsOf(name: string): LayerVersionRecord[] {
    let list = this.#layers.get(name);
    if (!list) this.#layers.set(name, (list = []));
    return list;
  }

  /** A layer name, or its ARN, as the name. */
  #nameOf(raw: string): string {
    const arn = LAYER_ARN.exec(raw);
    if (arn) {
      if (arn[1] !== this.#settings.region || arn[2] !== this.#settings.accountId) throw resourceNotFound('The resource you requested does not exist.');
      return arn[3]!;
    }
    if (!NAME.test(raw)) throw validationError('layerName', raw, 'Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+');
    return raw;
  }
}
