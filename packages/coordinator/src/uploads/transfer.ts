/**
 * Handing bytes between the event loop and an upload worker without copying them. Transferring
 * moves an `ArrayBuffer` (the sender's view is detached), so only a buffer that a view owns whole
 * may go: a small `Buffer` is often a slice of Node's shared 8 KiB pool, and transferring that pool
 * would detach every other buffer cut from it. Such views are copied instead (they are small).
 */

/** A view over an `ArrayBuffer` of its own, and the list to transfer it with. */
export interface Movable {
  readonly bytes: Uint8Array;
  readonly transfer: ArrayBuffer[];
}

/** `view` itself when it owns its whole `ArrayBuffer`, else a copy that does. */
export function movable(view: Uint8Array): Movable {
  const owned =
    view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength
      ? view
      : new Uint8Array(view);
  return { bytes: owned, transfer: [owned.buffer as ArrayBuffer] };
}

/** A received view as a `Buffer` (structured clone delivers a plain `Uint8Array`), sharing its memory. */
export function asBuffer(view: Uint8Array): Buffer {
  return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
