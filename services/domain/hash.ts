/** murmur3's 32-bit finaliser: spreads every input bit over the output (a bijection on 32-bit integers). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** `fmix32` undone: unfmix32(fmix32(x)) === x for every 32-bit unsigned x. */
export function unfmix32(h: number): number {
  h = unshiftXor(h, 16);
  h = Math.imul(h, 0x7ed1b41d); // 0xc2b2ae35's inverse mod 2^32
  h = unshiftXor(h, 13);
  h = Math.imul(h, 0xa5cb9243); // 0x85ebca6b's inverse mod 2^32
  return unshiftXor(h, 16);
}

/** The x for which x ^ (x >>> shift) === h: the top `shift` bits are known, each step recovers the next ones. */
function unshiftXor(h: number, shift: number): number {
  let x = h >>> 0;
  for (let known = shift; known < 32; known += shift) x = (h ^ (x >>> shift)) >>> 0;
  return x;
}

/** 32-bit FNV-1a over a string's UTF-16 code units, as a signed 32-bit integer (`>>> 0` for unsigned). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** The dirty-users shard of a user: FNV-1a over the UTF-8 bytes, cheap, stable across processes and languages. */
export function shardOfUser(userId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(userId, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}
