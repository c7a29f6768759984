import { createHash } from 'node:crypto';

/** One message attribute as SQS stores it: `String`/`Number` carry text, `Binary` carries bytes. */
export interface MessageAttribute {
  /** `String`, `Number` or `Binary`, optionally with a custom suffix (`Number.int`, `Binary.png`). */
  dataType: string;
  stringValue?: string;
  binaryValue?: Buffer;
}

/** Hex MD5 of the body's UTF-8 bytes: `MD5OfMessageBody` / `MD5OfBody` (the SDK checks it). */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/** Transport type byte SQS hashes: 1 for String and Number values, 2 for Binary. */
const STRING_TRANSPORT = 1;
const BINARY_TRANSPORT = 2;

/**
 * `MD5OfMessageAttributes`, computed as SQS does (and as the Java and .NET SDKs verify it): the
 * attributes sorted by name (byte order), each contributing
 * `len(name) name len(dataType) dataType transport value-len value`, where each `len` is a 4-byte
 * big-endian byte count of the UTF-8 (or raw binary) that follows, and `transport` is one byte, 1
 * for String/Number, 2 for Binary. Undefined when there are no attributes (SQS omits the field).
 */
export function md5OfMessageAttributes(attributes: Readonly<Record<string, MessageAttribute>> | undefined): string | undefined {
  if (!attributes) return undefined;
  const names = Object.keys(attributes).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer): void => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    hash.update(len);
    hash.update(bytes);
  };
  for (const name of names) {
    const a = attributes[name]!;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(a.dataType, 'utf8'));
    if (a.dataType.startsWith('Binary')) {
      hash.update(Buffer.from([BINARY_TRANSPORT]));
      lengthPrefixed(a.binaryValue ?? Buffer.alloc(0));
    } else {
      hash.update(Buffer.from([STRING_TRANSPORT]));
      lengthPrefixed(Buffer.from(a.stringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

/** Bytes an attribute counts toward the message size limit (name + type + value, as SQS counts). */
export function attributeBytes(name: string, a: MessageAttribute): number {
  const value = a.binaryValue ? a.binaryValue.length : Buffer.byteLength(a.stringValue ?? '', 'utf8');
  return Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.dataType, 'utf8') + value;
}
