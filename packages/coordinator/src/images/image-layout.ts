import { mkdir, mkdtemp, open, readFile, realpath, rm, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join, posix, relative, sep, isAbsolute } from 'node:path';
import { unsafePathReason } from '@zonesim/code';
import { ImageError, ImageErrorCode } from './image-errors.js';
import { readTarFile } from './tar-file.js';

/**
 * The files of an image as `docker save` / `skopeo copy oci:` / `oci-archive:` lay them out: an OCI
 * image layout (`oci-layout`, `index.json`, `blobs/sha256/...`) and/or a docker-archive
 * (`manifest.json`, `<id>.json`, `<id>/layer.tar`). Either a directory on the coordinator's machine,
 * or a tarball that is first unpacked (regular files and directories only, every name checked, links
 * between its own members resolved by name) into a temporary directory.
 */
export interface ImageLayout {
  /** Path of a member, for streaming (a layer); undefined when it does not exist. */
  path(rel: string): Promise<string | undefined>;
  /** A member's bytes (manifests, configs), at most `maxBytes`. */
  read(rel: string, maxBytes: number): Promise<Buffer | undefined>;
  /** Removes temporary files. */
  close(): Promise<void>;
}

/** Manifests and configs are small; a larger one is not an image. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

const MAX_LINK_HOPS = 8;

/** A layout directory given by path. */
export async function openLayoutDirectory(dir: string): Promise<ImageLayout> {
  const root = await realpath(dir);
  const resolveMember = async (rel: string): Promise<string | undefined> => {
    if (unsafePathReason(rel) !== undefined) return undefined;
    try {
      const real = await realpath(join(root, rel));
      const r = relative(root, real);
      if (r.startsWith(`..${sep}`) || r === '..' || isAbsolute(r)) return undefined;
      return (await stat(real)).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    path: resolveMember,
    read: async (rel, maxBytes) => {
      const p = await resolveMember(rel);
      if (p === undefined) return undefined;
      if ((await stat(p)).size > maxBytes) throw new ImageError(ImageErrorCode.Malformed, `${rel} is larger than ${maxBytes} bytes`);
      return readFile(p);
    },
    close: async () => undefined,
  };
}

/**
 * An OCI or docker-archive tarball (plain or gzip), unpacked into a temporary directory under
 * `workDir`, bounded by `maxBytes`.
 */
export async function openLayoutTarball(file: string, workDir: string, maxBytes: number, signal?: AbortSignal): Promise<ImageLayout> {
  await mkdir(workDir, { recursive: true });
  const tmp = await mkdtemp(join(workDir, 'archive-'));
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  let total = 0;
  let n = 0;
  try {
    await readTarFile(
      file,
      'the image archive',
      async (header, body) => {
        const name = header.name;
        const reason = unsafePathReason(name);
        if (reason !== undefined) {
          throw new ImageError(ImageErrorCode.UnsafePath, `The image archive's entry ${JSON.stringify(name)} would land outside it (${reason})`, name);
        }
        const rel = name.split('/').filter((p: string) => p !== '' && p !== '.').join('/');
        if (rel === '') return;
        if (header.type === 'symlink' || header.type === 'link') {
          const target = header.linkname ?? '';
          // Symlinks are relative to their directory; hard links name another member.
          const joined = header.type === 'symlink' ? posix.join(posix.dirname(rel), target) : posix.normalize(target.replace(/^\/+/, ''));
          if (target.startsWith('/') && header.type === 'symlink') throw new ImageError(ImageErrorCode.UnsafeSymlink, `The image archive's entry ${JSON.stringify(name)} links outside it`, name);
          if (joined.startsWith('../') || joined === '..') throw new ImageError(ImageErrorCode.UnsafeSymlink, `The image archive's entry ${JSON.stringify(name)} links outside it`, name);
          links.set(rel, joined);
          return;
        }
        if (header.type !== 'file' && header.type !== 'contiguous-file') return;
        total += header.size ?? 0;
        if (total > maxBytes) throw new ImageError(ImageErrorCode.TooLarge, `The image archive is larger than ${maxBytes} bytes`);
        // Flat, numbered files: member names never become paths on disk.
        const path = join(tmp, `m${++n}`);
        const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) await handle.write(chunk);
        } finally {
          await handle.close();
        }
        files.set(rel, path);
      },
      { maxTarBytes: maxBytes + 64 * 1024 * 1024, ...(signal ? { signal } : {}) },
    );
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const resolveMember = (rel: string): string | undefined => {
    let name = posix.normalize(rel);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const file = files.get(name);
      if (file !== undefined) return file;
      const next = links.get(name);
      if (next === undefined) return undefined;
      name = next;
    }
    return undefined;
  };
  return {
    path: async (rel) => resolveMember(rel),
    read: async (rel, maxBytes) => {
      const p = resolveMember(rel);
      if (p === undefined) return undefined;
      if ((await stat(p)).size > maxBytes) throw new ImageError(ImageErrorCode.Malformed, `${rel} is larger than ${maxBytes} bytes`);
      return readFile(p);
    },
    close: () => rm(tmp, { recursive: true, force: true }),
  };
}
