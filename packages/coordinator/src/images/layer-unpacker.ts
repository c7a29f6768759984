import { constants, lstatSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, rm, symlink } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { MAX_SYMLINK_TARGET_BYTES, unsafePathReason, unsafeSymlinkReason } from '@zonesim/code';
import { ImageError, ImageErrorCode } from './image-errors.js';
import { readTarFile, type TarBody, type TarHeader } from './tar-file.js';

/**
 * Unpacks image layers, lowest first, into one root directory with the OCI rules for applying
 * changesets (image-spec `layer.md`):
 *
 * - `dir/.wh.name` deletes `dir/name` of the lower layers; `dir/.wh..wh..opq` hides every lower
 *   entry below `dir` (entries of the same layer stay, whatever their order in the tar);
 * - an entry replaces what the lower layers had at its path (a file over a directory too);
 * - hard links are made to files already in the root.
 *
 * Every path is checked before anything is written, with the zip-slip rules of `@zonesim/code`:
 * `..`, absolute names, backslashes and NUL are refused, as is any entry below a symbolic link
 * (writing through a link could leave the root). A link's absolute target is read as the container
 * would, from the image root, and stored relative (`/usr/bin/x` at `etc/alt/x` becomes
 * `../../usr/bin/x`), so nothing in the root points at the host; a relative target that climbs out
 * is refused. Devices and FIFOs are skipped (creating them needs privileges). Sizes come from the
 * tar headers and are counted against the limit before a byte is written.
 */

/** Limits of one image root. */
export interface UnpackLimits {
  /** File contents plus link targets. */
  maxUnpackedBytes: number;
  /** Entries across all layers (whiteouts included). */
  maxEntries: number;
}

/** What a layer must hash to (hex SHA-256), when its descriptor says. */
export interface LayerDigests {
  /** Of the blob's bytes as stored (OCI descriptor digest). */
  raw?: string;
  /** Of the uncompressed tar (the config's `rootfs.diff_ids`). */
  tar?: string;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
const NEW_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const MAX_COMPONENT_BYTES = 255;
const MAX_PATH_BYTES = 4095;

function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === code;
}

/** Builds one image root from its layers. */
export class RootBuilder {
  readonly root: string;
  readonly #limits: UnpackLimits;
  #bytes = 0;
  #entries = 0;
  /** Directories known to exist (cleared whenever something is removed). */
  readonly #dirs = new Set<string>(['']);

  constructor(root: string, limits: UnpackLimits) {
    this.root = root;
    this.#limits = limits;
  }

  /** Bytes counted so far (file contents plus link targets). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Applies one layer tar (plain or gzip) on top of what is there.
   * @throws ImageError naming the layer and entry that broke a rule.
   */
  async applyLayer(tarPath: string, layerName: string, digests: LayerDigests = {}, signal?: AbortSignal): Promise<void> {
    const created = new Set<string>();
    await readTarFile(
      tarPath,
      `layer ${layerName}`,
      async (header, body) => {
        signal?.throwIfAborted();
        await this.#entry(header, body, layerName, created);
      },
      {
        // A tar is its contents plus headers and padding; past this a stream is lying or a bomb.
        maxTarBytes: this.#limits.maxUnpackedBytes * 2 + 64 * 1024 * 1024,
        onDigests: (d) => {
          if (digests.raw !== undefined && d.rawSha256 !== digests.raw) {
            throw new ImageError(ImageErrorCode.Malformed, `layer ${layerName} does not match its digest sha256:${digests.raw} (it hashes to sha256:${d.rawSha256})`);
          }
          if (digests.tar !== undefined && d.tarSha256 !== digests.tar) {
            throw new ImageError(ImageErrorCode.Malformed, `layer ${layerName} does not match its diff_id sha256:${digests.tar} (it hashes to sha256:${d.tarSha256})`);
          }
        },
        ...(signal ? { signal } : {}),
      },
    );
  }

  async #entry(header: TarHeader, body: TarBody, layerName: string, created: Set<string>): Promise<void> {
    const type: string = header.type ?? 'file';
    if (type === 'pax-header' || type === 'pax-global-header' || type === 'gnu-long-path' || type === 'gnu-long-link-path') return;
    const name = header.name;
    const refuse = (code: ImageErrorCode, why: string): ImageError =>
      new ImageError(code, `Layer ${layerName}: the entry ${JSON.stringify(name)} ${why}`, name);
    const parts = this.#parts(name, (why) => refuse(ImageErrorCode.UnsafePath, `would land outside the image root (${why})`));
    if (parts.length === 0) return; // `./`: the root itself
    if (++this.#entries > this.#limits.maxEntries) throw refuse(ImageErrorCode.TooLarge, `is past the limit of ${this.#limits.maxEntries} entries`);
    const rel = parts.join('/');
    const base = parts[parts.length - 1]!;
    const dir = parts.slice(0, -1);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      await this.#checkAncestors(dir, () => refuse(ImageErrorCode.UnsafeSymlink, 'is below a symbolic link of the image'), false);
      if (base === OPAQUE) await this.#hideLower(dir.join('/'), created);
      else {
        const victim = [...dir, base.slice(WHITEOUT_PREFIX.length)].join('/');
        if (!created.has(victim)) await this.#remove(victim);
      }
      return;
    }

    await this.#checkAncestors(dir, () => refuse(ImageErrorCode.UnsafeSymlink, `is below the symbolic link ${JSON.stringify(this.#linkAmong(dir))}: writing through it could leave the image root`), true);
    const abs = join(this.root, ...parts);
    const existing = await lstat(abs).catch(() => undefined);
    created.add(rel);
    // Its parents belong to this layer too: an opaque whiteout of a grandparent must keep them.
    for (let i = 1; i < parts.length; i++) created.add(parts.slice(0, i).join('/'));

    if (type === 'directory') {
      if (existing?.isDirectory()) return;
      if (existing) await this.#remove(rel);
      await mkdir(abs, { mode: 0o755 });
      this.#dirs.add(rel);
      return;
    }
    if (existing) await this.#remove(rel);

    switch (type) {
      case 'file':
      case 'contiguous-file': {
        const size = header.size ?? 0;
        this.#count(size, refuse);
        const mode = ((header.mode ?? 0o644) & 0o111) !== 0 ? 0o755 : 0o644;
        const handle = await open(abs, NEW_FILE_FLAGS, mode);
        try {
          await handle.chmod(mode);
          for await (const chunk of body) await handle.write(chunk);
        } finally {
          await handle.close();
        }
        return;
      }
      case 'symlink': {
        const target = this.#linkTarget(header.linkname ?? '', parts, refuse);
        this.#count(Buffer.byteLength(target), refuse);
        await symlink(target, abs);
        return;
      }
      case 'link': {
        const targetParts = this.#parts(header.linkname ?? '', (why) => refuse(ImageErrorCode.UnsafePath, `is a hard link to ${JSON.stringify(header.linkname)}, outside the image root (${why})`), true);
        const targetAbs = join(this.root, ...targetParts);
        await this.#checkAncestors(targetParts.slice(0, -1), () => refuse(ImageErrorCode.UnsafeSymlink, 'is a hard link through a symbolic link'), false);
        const info = await lstat(targetAbs).catch(() => undefined);
        if (!info?.isFile()) throw refuse(ImageErrorCode.Malformed, `is a hard link to ${JSON.stringify(header.linkname)}, which is not a file of the image`);
        this.#count(info.size, refuse);
        try {
          await link(targetAbs, abs);
        } catch {
          await copyFile(targetAbs, abs, constants.COPYFILE_EXCL);
        }
        return;
      }
      default:
        // Character and block devices, FIFOs: an image for Lambda has no use for them, and
        // creating them needs privileges this process should not have.
        created.delete(rel);
        return;
    }
  }

  /** Normalised components of an entry name, refusing unsafe ones. */
  #parts(name: string, refuse: (why: string) => ImageError, rootRelative = false): string[] {
    let n = name;
    // Hard-link targets may be written `/usr/bin/x` by some tools: a path in the image, not the host.
    if (rootRelative) n = n.replace(/^\/+/, '');
    const why = n === '' ? undefined : unsafePathReason(n);
    if (why !== undefined) throw refuse(why);
    const parts = n.split('/').filter((p) => p !== '' && p !== '.');
    for (const p of parts) if (Buffer.byteLength(p) > MAX_COMPONENT_BYTES) throw refuse(`a component is longer than ${MAX_COMPONENT_BYTES} bytes`);
    if (Buffer.byteLength(parts.join('/')) > MAX_PATH_BYTES) throw refuse(`the path is longer than ${MAX_PATH_BYTES} bytes`);
    return parts;
  }

  /** A link target made safe: absolute ones are read from the image root and made relative. */
  #linkTarget(raw: string, parts: readonly string[], refuse: (code: ImageErrorCode, why: string) => ImageError): string {
    if (raw === '' || raw.includes('\0') || raw.includes('\\') || Buffer.byteLength(raw) > MAX_SYMLINK_TARGET_BYTES) {
      throw refuse(ImageErrorCode.UnsafeSymlink, `is a symbolic link with an unusable target ${JSON.stringify(raw.slice(0, 200))}`);
    }
    let target = raw;
    if (raw.startsWith('/')) {
      const from = posix.join('/', ...parts.slice(0, -1));
      target = posix.relative(from, posix.normalize(raw)) || '.';
    }
    const reason = unsafeSymlinkReason(parts, target, (p) => {
      try {
        return lstatSync(join(this.root, p)).isSymbolicLink();
      } catch {
        return false;
      }
    });
    if (reason !== undefined) throw refuse(ImageErrorCode.UnsafeSymlink, `is a symbolic link to ${JSON.stringify(raw)} that ${reason.replace('leaves the code directory', 'points outside the image root')}`);
    return target;
  }

  /** Makes sure every ancestor is a real directory (creating missing ones when `create`). */
  async #checkAncestors(dir: readonly string[], refuse: () => ImageError, create: boolean): Promise<void> {
    for (let i = 1; i <= dir.length; i++) {
      const rel = dir.slice(0, i).join('/');
      if (this.#dirs.has(rel)) continue;
      const abs = join(this.root, rel);
      const info = await lstat(abs).catch(() => undefined);
      if (info?.isSymbolicLink()) throw refuse();
      if (info?.isDirectory()) {
        this.#dirs.add(rel);
        continue;
      }
      if (!create) return;
      // A file of a lower layer where this layer has a directory: the directory wins.
      if (info) await this.#remove(rel);
      await mkdir(abs, { mode: 0o755 });
      this.#dirs.add(rel);
    }
  }

  #linkAmong(dir: readonly string[]): string {
    for (let i = 1; i <= dir.length; i++) {
      const rel = dir.slice(0, i).join('/');
      try {
        if (lstatSync(join(this.root, rel)).isSymbolicLink()) return rel;
      } catch {
        return rel;
      }
    }
    return dir.join('/');
  }

  /** Removes everything below `dirRel` that this layer did not create (an opaque whiteout). */
  async #hideLower(dirRel: string, created: Set<string>): Promise<void> {
    const abs = dirRel === '' ? this.root : join(this.root, dirRel);
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
      throw err;
    }
    for (const name of names) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      if (!created.has(rel)) await this.#remove(rel);
      else if ((await lstat(join(this.root, rel))).isDirectory()) await this.#hideLower(rel, created);
    }
  }

  async #remove(rel: string): Promise<void> {
    await rm(join(this.root, rel), { recursive: true, force: true });
    this.#dirs.clear();
    this.#dirs.add('');
  }

  #count(bytes: number, refuse: (code: ImageErrorCode, why: string) => ImageError): void {
    this.#bytes += bytes;
    if (this.#bytes > this.#limits.maxUnpackedBytes) {
      throw refuse(ImageErrorCode.TooLarge, `takes the image past ${this.#limits.maxUnpackedBytes} unpacked bytes (zonesim's limit)`);
    }
  }
}
