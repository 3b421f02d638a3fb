/**
 * Event-id hashing for de-duplication. The user state keeps hashes rather than the ids themselves so
 * that a window of 1,000 ids stays small and fixed-size whatever the producers use as ids.
 */

// FNV-1a 64-bit constants split into 32-bit halves: offset basis 0xcbf29ce484222325,
// prime 0x100000001b3 = 2^40 + 0x1b3.
const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
const PRIME_LO = 0x1b3;

/**
 * 64-bit FNV-1a hash of the UTF-8 bytes of `eventId`, as 16 lowercase hex digits.
 *
 * Runs on every ingested event, so it multiplies with two 32-bit halves instead of BigInt, and reads
 * an ASCII id (nearly every id: UUIDs, counters), whose UTF-8 bytes are its own code units, straight
 * from the string; any other is encoded first into a reused buffer. Lone surrogates hash as U+FFFD,
 * exactly as `Buffer.from(eventId, 'utf8')` encodes them.
 */
export function eventIdHash(eventId: string): string {
  return fnv1a64(eventId.length, (i) => eventId.charCodeAt(i), 0x80) ?? fnv1a64(utf8Encode(eventId), (i) => bytes[i]!, 0x100)!;
}

/**
 * FNV-1a 64 of `length` bytes, the i-th being `byteAt(i)`, as 16 hex digits; null as soon as a byte
 * is `limit` or more (a code unit that is not its own UTF-8 byte).
 */
function fnv1a64(length: number, byteAt: (i: number) => number, limit: number): string | null {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  for (let i = 0; i < length; i++) {
    const byte = byteAt(i);
    if (byte >= limit) return null;
    lo = (lo ^ byte) >>> 0;
    // lo · 0x1b3 in 16-bit halves, all small integers: its bits above 32 carry into the high half,
    // and the prime's 2^40 term shifts the low half 8 bits into the high half.
    const low16 = (lo & 0xffff) * PRIME_LO;
    const high16 = (lo >>> 16) * PRIME_LO + (low16 >>> 16);
    hi = (Math.imul(hi, PRIME_LO) + (lo << 8) + (high16 >>> 16)) >>> 0;
    lo = (((high16 & 0xffff) << 16) | (low16 & 0xffff)) >>> 0;
  }
  return hex16(hi, lo);
}

let bytes = new Uint8Array(256);

/** Writes the UTF-8 encoding of `s` into `bytes` (growing it when needed) and returns its length. */
function utf8Encode(s: string): number {
  if (bytes.length < s.length * 3) bytes = new Uint8Array(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    if (cp < 0x80) {
      bytes[n++] = cp;
    } else if (cp < 0x800) {
      bytes[n++] = 0xc0 | (cp >> 6);
      bytes[n++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      bytes[n++] = 0xe0 | (cp >> 12);
      bytes[n++] = 0x80 | ((cp >> 6) & 0x3f);
      bytes[n++] = 0x80 | (cp & 0x3f);
    } else {
      bytes[n++] = 0xf0 | (cp >> 18);
      bytes[n++] = 0x80 | ((cp >> 12) & 0x3f);
      bytes[n++] = 0x80 | ((cp >> 6) & 0x3f);
      bytes[n++] = 0x80 | (cp & 0x3f);
    }
  }
  return n;
}

const HEX_DIGITS = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const hexCodes = new Array<number>(16).fill(0);

/**
 * Builds the 16 digits with one String.fromCharCode: concatenating two 8-digit halves would make a
 * V8 cons-string, which is about ten times slower to compare in the de-duplication scan.
 */
function hex16(hi: number, lo: number): string {
  for (let i = 0; i < 8; i++) {
    const shift = 28 - 4 * i;
    hexCodes[i] = HEX_DIGITS[(hi >>> shift) & 15]!;
    hexCodes[8 + i] = HEX_DIGITS[(lo >>> shift) & 15]!;
  }
  return String.fromCharCode(...hexCodes);
}
