/**
 * Building container images from files in tests: tars written byte by byte (so hostile entries such
 * as `../x` can be made), gzip layers, OCI image layouts, OCI and docker-archive tarballs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One tar entry. */
export interface TarEntrySpec {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'link';
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
}

const TYPEFLAG = { file: '0', link: '1', symlink: '2', dir: '5' } as const;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar archive of `entries`, in order (names up to 100 bytes). */
export function tarBytes(entries: readonly TarEntrySpec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = type === 'file' ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write(octal(e.mode ?? (type === 'dir' ? 0o755 : 0o644), 8), 100, 'ascii');
    h.write(octal(0, 8), 108, 'ascii');
    h.write(octal(0, 8), 116, 'ascii');
    h.write(octal(data.length, 12), 124, 'ascii');
    h.write(octal(0, 12), 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write(TYPEFLAG[type], 156, 'ascii');
    if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    let sum = 0;
    for (const byte of h) sum += byte;
    h.write(octal(sum, 7) + ' ', 148, 'ascii');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The image config fields a test sets. */
export interface TestImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
}

/** The files of an OCI image layout (path -> bytes), and its manifest digest. */
export function ociLayoutFiles(layers: Array<{ entries: TarEntrySpec[]; gzip?: boolean }>, config: TestImageConfig, refName = 'latest'): { files: Map<string, Buffer>; digest: string } {
  const files = new Map<string, Buffer>();
  const addBlob = (b: Buffer): string => {
    const hex = sha(b);
    files.set(`blobs/sha256/${hex}`, b);
    return hex;
  };
  const layerDescriptors = layers.map((l) => {
    const tar = tarBytes(l.entries);
    const blob = l.gzip ? gzipSync(tar) : tar;
    return {
      diffId: `sha256:${sha(tar)}`,
      descriptor: { mediaType: `application/vnd.oci.image.layer.v1.tar${l.gzip ? '+gzip' : ''}`, digest: `sha256:${addBlob(blob)}`, size: blob.length },
    };
  });
  const configBlob = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: layerDescriptors.map((l) => l.diffId) },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${addBlob(configBlob)}`, size: configBlob.length },
    layers: layerDescriptors.map((l) => l.descriptor),
  }));
  const manifestHex = addBlob(manifest);
  files.set('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  files.set('index.json', Buffer.from(JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${manifestHex}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': refName } }],
  })));
  return { files, digest: `sha256:${manifestHex}` };
}

/** Writes layout files into `dir`. */
export function writeLayout(dir: string, files: Map<string, Buffer>): void {
  for (const [rel, bytes] of files) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), bytes);
  }
}

/** The layout files as one tarball (an OCI archive). */
export function layoutTarball(files: Map<string, Buffer>): Buffer {
  return tarBytes([...files].map(([name, content]) => ({ name, content })));
}

/** A docker-archive (`docker save` before Docker 25): manifest.json, `<id>.json`, `<n>/layer.tar`. */
export function dockerArchive(layers: TarEntrySpec[][], config: TestImageConfig, repoTag = 'test:latest'): Buffer {
  const tars = layers.map((entries) => tarBytes(entries));
  const configBlob = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${sha(t)}`) } }));
  const configName = `${sha(configBlob)}.json`;
  const entries: TarEntrySpec[] = [{ name: configName, content: configBlob }];
  tars.forEach((t, i) => entries.push({ name: `layer${i}/`, type: 'dir' }, { name: `layer${i}/layer.tar`, content: t }));
  entries.push({ name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: tars.map((_, i) => `layer${i}/layer.tar`) }]) });
  return tarBytes(entries);
}
