import { Packr } from 'msgpackr';

/**
 * Frame encoder. The two methods are all either end uses, so the codec can be swapped (a contract
 * test runs against each implementation).
 */
export interface Codec {
  /** Encodes one message into one frame. */
  encode(message: unknown): Uint8Array;
  /** Decodes one frame into an unvalidated value; throws on bytes that are not a frame. */
  decode(frame: Uint8Array): unknown;
}

/**
 * msgpackr options, pinned here so both ends agree. Records/structures are off because a zone node
 * and a coordinator keep no shared structure table across reconnects; `useRecords: false` keeps each
 * frame self-describing. `mapsAsObjects` makes maps plain objects for the validators; `int64AsType`
 * keeps 64-bit integers as numbers (we never send values above 2^53).
 */
export const MSGPACK_OPTIONS = {
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  int64AsType: 'number',
  bundleStrings: false,
} as const;

/** The msgpackr codec used on the coordinator <-> zone-node link. */
export class MsgpackCodec implements Codec {
  readonly #packr = new Packr(MSGPACK_OPTIONS);

  encode(message: unknown): Uint8Array {
    return this.#packr.pack(message);
  }

  decode(frame: Uint8Array): unknown {
    return this.#packr.unpack(frame);
  }
}

/** A shared instance; the codec holds no per-connection state. */
export const msgpackCodec: Codec = new MsgpackCodec();
