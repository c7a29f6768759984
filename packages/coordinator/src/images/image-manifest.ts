import { createHash } from 'node:crypto';
import { ImageError, ImageErrorCode } from './image-errors.js';
import { MAX_JSON_BYTES, type ImageLayout } from './image-layout.js';
import type { LayerDigests } from './layer-unpacker.js';

/**
 * Finding the image in a layout: OCI (`index.json` -> manifest, following one image index for
 * multi-platform images) or docker-archive (`manifest.json`). Every blob read by digest is checked
 * against it; layers are checked while they are unpacked.
 */

/** The parts of the image config a function runs with (OCI image-spec `config`). */
export interface ImageConfigFields {
  entrypoint: string[];
  cmd: string[];
  /** `Env` as a map (`KEY=value` entries). */
  env: Record<string, string>;
  workingDir: string;
}

/** One layer to apply, lowest first. */
export interface ImageLayerRef {
  /** A member of the layout. */
  member: string;
  digests: LayerDigests;
}

/** A resolved image. */
export interface ResolvedImage {
  /** `sha256:<hex>`: the manifest's digest (docker-archive: the config's, i.e. the image id). */
  digest: string;
  format: 'oci' | 'docker-archive';
  config: ImageConfigFields;
  layers: ImageLayerRef[];
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const REF_ANNOTATIONS = ['org.opencontainers.image.ref.name', 'io.containerd.image.name'];

function malformed(message: string): ImageError {
  return new ImageError(ImageErrorCode.Malformed, message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<64 hex>` -> the hex; anything else is refused. */
export function digestHex(digest: unknown, what: string): string {
  if (typeof digest !== 'string') throw malformed(`${what} has no digest`);
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new ImageError(ImageErrorCode.Unsupported, `${what} has digest ${JSON.stringify(digest.slice(0, 100))}; zonesim reads sha256 digests only`);
  return m[1]!;
}

async function readJson(layout: ImageLayout, member: string, what: string, expectHex?: string): Promise<{ value: unknown; bytes: Buffer }> {
  const bytes = await layout.read(member, MAX_JSON_BYTES);
  if (!bytes) throw malformed(`the image has no ${what} (${member})`);
  if (expectHex !== undefined && sha256Hex(bytes) !== expectHex) throw malformed(`the ${what} does not match its digest sha256:${expectHex}`);
  try {
    return { value: JSON.parse(bytes.toString('utf8')), bytes };
  } catch (err) {
    throw malformed(`the ${what} (${member}) is not JSON: ${(err as Error).message}`);
  }
}

function blob(hex: string): string {
  return `blobs/sha256/${hex}`;
}

function stringArray(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw malformed(`the image config's ${field} must be a list of strings`);
  return v as string[];
}

/** The `config` object of an image config blob. */
export function configFields(config: unknown): ImageConfigFields {
  if (!isObject(config)) throw malformed('the image config is not a JSON object');
  const c = config['config'] ?? config['container_config'] ?? {};
  if (!isObject(c)) throw malformed('the image config has no config object');
  const env: Record<string, string> = {};
  for (const entry of stringArray(c['Env'], 'Env')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const wd = c['WorkingDir'];
  if (wd !== undefined && wd !== null && typeof wd !== 'string') throw malformed("the image config's WorkingDir must be a string");
  return { entrypoint: stringArray(c['Entrypoint'], 'Entrypoint'), cmd: stringArray(c['Cmd'], 'Cmd'), env, workingDir: (wd as string | undefined) ?? '' };
}

function diffIds(config: unknown): string[] | undefined {
  if (!isObject(config) || !isObject(config['rootfs'])) return undefined;
  const ids = config['rootfs']['diff_ids'];
  return Array.isArray(ids) ? ids.map((d, i) => digestHex(d, `diff_id ${i}`)) : undefined;
}

/** The Go architecture name of this host, as image platforms spell it. */
function hostArchitecture(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

/** Picks one descriptor of an index: by reference when given, else by platform, else the only one. */
function pickDescriptor(manifests: unknown[], ref: string | undefined, where: string): Record<string, unknown> {
  const descriptors = manifests.filter(isObject);
  if (descriptors.length === 0) throw malformed(`${where} lists no manifests`);
  if (ref !== undefined) {
    const named = descriptors.filter((d) => {
      const a = d['annotations'];
      return isObject(a) && REF_ANNOTATIONS.some((k) => a[k] === ref || (typeof a[k] === 'string' && (a[k] as string).endsWith(`:${ref}`)));
    });
    if (named.length > 0) return named[0]!;
    if (descriptors.length > 1) throw new ImageError(ImageErrorCode.NotFound, `${where} has no image named ${JSON.stringify(ref)}`);
  }
  if (descriptors.length === 1) return descriptors[0]!;
  const linux = descriptors.filter((d) => !isObject(d['platform']) || ((d['platform'] as Record<string, unknown>)['os'] ?? 'linux') === 'linux');
  const arch = linux.find((d) => isObject(d['platform']) && (d['platform'] as Record<string, unknown>)['architecture'] === hostArchitecture());
  return arch ?? linux[0] ?? descriptors[0]!;
}

async function resolveOci(layout: ImageLayout, ref: string | undefined): Promise<ResolvedImage> {
  const { value: index } = await readJson(layout, 'index.json', 'index (index.json)');
  if (!isObject(index) || !Array.isArray(index['manifests'])) throw malformed('index.json has no manifests list');
  let descriptor = pickDescriptor(index['manifests'], ref, 'index.json');
  // A multi-platform image: one more index, then the manifest of this host's platform.
  for (let depth = 0; INDEX_TYPES.has(String(descriptor['mediaType'])) && depth < 2; depth++) {
    const hex = digestHex(descriptor['digest'], 'an image index');
    const { value: nested } = await readJson(layout, blob(hex), 'image index', hex);
    if (!isObject(nested) || !Array.isArray(nested['manifests'])) throw malformed('the nested image index has no manifests list');
    descriptor = pickDescriptor(nested['manifests'], undefined, 'the nested image index');
  }
  const manifestHex = digestHex(descriptor['digest'], 'the image manifest');
  const { value: manifest } = await readJson(layout, blob(manifestHex), 'image manifest', manifestHex);
  if (!isObject(manifest) || !isObject(manifest['config']) || !Array.isArray(manifest['layers'])) throw malformed('the image manifest has no config or layers');
  const configHex = digestHex(manifest['config']['digest'], 'the image config');
  const { value: config } = await readJson(layout, blob(configHex), 'image config', configHex);
  const ids = diffIds(config);
  const layers = manifest['layers'].map((l, i): ImageLayerRef => {
    if (!isObject(l)) throw malformed(`layer ${i} of the manifest is not an object`);
    const mediaType = String(l['mediaType'] ?? '');
    if (mediaType.includes('foreign') || mediaType.includes('nondistributable')) throw new ImageError(ImageErrorCode.Unsupported, `layer ${i} is a foreign layer (${mediaType}), which zonesim cannot fetch`);
    const hex = digestHex(l['digest'], `layer ${i}`);
    const tar = ids?.[i];
    return { member: blob(hex), digests: { raw: hex, ...(tar !== undefined ? { tar } : {}) } };
  });
  return { digest: `sha256:${manifestHex}`, format: 'oci', config: configFields(config), layers };
}

async function resolveDocker(layout: ImageLayout, ref: string | undefined): Promise<ResolvedImage> {
  const { value: list } = await readJson(layout, 'manifest.json', 'docker manifest (manifest.json)');
  if (!Array.isArray(list) || list.length === 0) throw malformed('manifest.json lists no images');
  const entries = list.filter(isObject);
  let entry = entries[0];
  if (ref !== undefined) {
    entry = entries.find((e) => Array.isArray(e['RepoTags']) && (e['RepoTags'] as unknown[]).some((t) => t === ref || (typeof t === 'string' && t.endsWith(`:${ref}`))));
    if (!entry && entries.length > 1) throw new ImageError(ImageErrorCode.NotFound, `manifest.json has no image tagged ${JSON.stringify(ref)}`);
    entry ??= entries[0];
  }
  if (!entry || typeof entry['Config'] !== 'string' || !Array.isArray(entry['Layers'])) throw malformed('manifest.json has no Config or Layers');
  const configMember = entry['Config'];
  const { value: config, bytes } = await readJson(layout, configMember, 'image config');
  const ids = diffIds(config);
  const layers = (entry['Layers'] as unknown[]).map((l, i): ImageLayerRef => {
    if (typeof l !== 'string') throw malformed(`layer ${i} of manifest.json is not a path`);
    const tar = ids?.[i];
    return { member: l, digests: tar !== undefined ? { tar } : {} };
  });
  // A docker image's id is the digest of its config.
  return { digest: `sha256:${sha256Hex(bytes)}`, format: 'docker-archive', config: configFields(config), layers };
}

/**
 * Finds the image in `layout`: OCI when `index.json` is there (what `docker save` writes since
 * Docker 25 alongside `manifest.json`), else docker-archive.
 * @param ref a tag or `org.opencontainers.image.ref.name` to choose among several images.
 */
export async function resolveImage(layout: ImageLayout, ref?: string): Promise<ResolvedImage> {
  if (await layout.path('index.json')) return resolveOci(layout, ref);
  if (await layout.path('manifest.json')) return resolveDocker(layout, ref);
  throw malformed('neither index.json (OCI image layout) nor manifest.json (docker save) was found');
}
