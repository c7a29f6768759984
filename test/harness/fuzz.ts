import { msgpackCodec } from '@zonesim/protocol';

/** A small seeded PRNG (mulberry32), so a failing fuzz run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 2 ? 6 : 9));
  switch (pick) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return Math.floor((rand() - 0.5) * 2 ** Math.floor(rand() * 60));
    case 3: return rand() * 1e6;
    case 4: return 'x'.repeat(Math.floor(rand() * 40)) + String.fromCharCode(Math.floor(rand() * 0xffff));
    case 5: return Buffer.from(Array.from({ length: Math.floor(rand() * 32) }, () => Math.floor(rand() * 256)));
    case 6: return Array.from({ length: Math.floor(rand() * 5) }, () => randomValue(rand, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 6); i > 0; i--) o[['type', 'seq', 'fn', 'payload', 'invocationId', 'zone', 'x'][Math.floor(rand() * 7)]!] = randomValue(rand, depth + 1);
      return o;
    }
  }
}

/**
 * One fuzz frame: random bytes, a valid frame with bytes flipped, truncated or extended, a random
 * msgpack value, or a known message with one field replaced by a random value.
 */
export function fuzzFrame(rand: () => number, valid: readonly object[]): Uint8Array {
  const base = valid[Math.floor(rand() * valid.length)]!;
  switch (Math.floor(rand() * 5)) {
    case 0:
      return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
    case 1: {
      const bytes = Buffer.from(msgpackCodec.encode(base));
      for (let i = 1 + Math.floor(rand() * 4); i > 0; i--) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      return bytes;
    }
    case 2: {
      const bytes = Buffer.from(msgpackCodec.encode(base));
      return rand() < 0.5 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : Buffer.concat([bytes, Buffer.from([Math.floor(rand() * 256)])]);
    }
    case 3:
      return msgpackCodec.encode(randomValue(rand, 0));
    default: {
      const copy: Record<string, unknown> = { ...(base as Record<string, unknown>) };
      const keys = Object.keys(copy);
      copy[keys[Math.floor(rand() * keys.length)]!] = randomValue(rand, 1);
      return msgpackCodec.encode(copy);
    }
  }
}
