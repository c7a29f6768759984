import type { Codec } from './codec.js';

/**
 * A frame that carries a message as a value instead of its bytes, for links that never leave the
 * process (the simulator's in-memory network, issue 16). It is an empty `Uint8Array`, so it travels
 * wherever a frame does; `wireBytes` is the size the msgpackr codec would have produced, so that a
 * simulated line serializes it for as long as the real frame would take.
 */
export class ValueFrame extends Uint8Array {
  /** The message, deeply frozen: sender and receiver share it. */
  readonly value: unknown;
  /** Bytes of the message as {@link MsgpackCodec} encodes it. */
  readonly wireBytes: number;

  constructor(value: unknown, wireBytes: number) {
    super(0);
    this.value = value;
    this.wireBytes = wireBytes;
  }
}

/** The bytes a frame takes on a line: its declared `wireBytes` when it carries a value, else its length. */
export function frameWireBytes(frame: Uint8Array): number {
  return frame instanceof ValueFrame ? frame.wireBytes : frame.byteLength;
}

/**
 * The codec of in-process links: `encode` hands the message over as a {@link ValueFrame} and
 * `decode` takes it back, with no bytes in between. Encoding and decoding every frame was a tenth of
 * a virtual run's time (docs/benchmarks.md); the receiver still validates each message as it does
 * over a WebSocket, and the real mode (and `msgpackCodec` in a virtual run, see `linkCodec`) keeps
 * testing the bytes.
 *
 * Over bytes, each end gets its own copy of a message. Here both share one, so the message is frozen
 * (every nested object and array; typed arrays cannot be, and are read-only by contract): an end that
 * modified a message after sending it, or one it received, would otherwise change the other end's copy
 * and make the simulation differ from the real mode; frozen, it fails at once instead.
 *
 * `wireBytes` is msgpackr's exact length under {@link MSGPACK_OPTIONS} (a unit test compares them on
 * every message kind): a simulated run gives the same line timings whichever codec it uses.
 */
export const valueCodec: Codec = {
  encode(message: unknown): Uint8Array {
    return new ValueFrame(message, freezeAndMeasure(message));
  },
  decode(frame: Uint8Array): unknown {
    if (!(frame instanceof ValueFrame)) throw new TypeError(`not a value frame (${frame.byteLength} bytes of an encoded frame?)`);
    return frame.value;
  },
};

/** Freezes `value` deeply and returns its msgpack length (msgpackr, records off, maps as objects). */
function freezeAndMeasure(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return numberBytes(value);
    case 'boolean':
      return 1;
    case 'undefined':
      // msgpackr writes undefined as the fixext 1 [0xd4, 0, 0].
      return 3;
    case 'bigint':
      return 9;
    case 'object': {
      if (value === null) return 1;
      if (ArrayBuffer.isView(value)) return binBytes(value.byteLength);
      if (Array.isArray(value)) {
        let n = headerBytes(value.length, 15);
        for (const item of value) n += freezeAndMeasure(item);
        Object.freeze(value);
        return n;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        // msgpackr would write a class instance differently (or not at all): only plain data travels.
        throw new TypeError(`a ${(value as object).constructor?.name ?? 'class instance'} cannot be sent on the zone link`);
      }
      let n = 0;
      let keys = 0;
      for (const key in value) {
        // msgpackr writes own enumerable properties, undefined ones included.
        if (!Object.hasOwn(value, key)) continue;
        keys++;
        n += stringBytes(key) + freezeAndMeasure((value as Record<string, unknown>)[key]);
      }
      Object.freeze(value);
      // msgpackr always writes a map16 header (it fills in the count afterwards), and refuses more.
      if (keys > 0xffff) throw new RangeError(`an object of ${keys} keys cannot be sent on the zone link`);
      return n + 3;
    }
    default:
      throw new TypeError(`a ${typeof value} cannot be sent on the zone link`);
  }
}

/** fix (1 byte) up to `fixMax` entries, then 16-bit (3) and 32-bit (5) lengths. */
function headerBytes(count: number, fixMax: number): number {
  return count <= fixMax ? 1 : count < 0x10000 ? 3 : 5;
}

function stringBytes(s: string): number {
  const n = isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
  return n + (n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
}

function binBytes(n: number): number {
  return n + (n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
}

function numberBytes(v: number): number {
  // msgpackr writes 32-bit integers in the smallest form, and every other number as a float64.
  if (v >>> 0 === v) return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
  if (v >> 0 === v) return v >= -0x20 ? 1 : v >= -0x80 ? 2 : v >= -0x8000 ? 3 : 5;
  return 9;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
