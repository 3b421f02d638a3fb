/**
 * Consistency tokens (read-your-writes): what a publisher hands back for the events it published,
 * and what a query passes as `after` to be answered only once ingest has folded them.
 *
 * A token names the interactions topic and, per partition it published to, the highest offset it
 * wrote. On the wire it is opaque and URL-safe: base64url of `{"v":1,"t":<topic>,"o":{<partition>:
 * "<offset>"}}` (offsets as decimal strings: they are 64-bit). `v` versions the format; a reader
 * refuses versions it does not know, so the format may change without old tokens being misread.
 */
import { InterestStreamError } from '../domain/errors.js';

export const TOKEN_VERSION = 1;
/** AFTER_WAIT_MS's default: how long a query waits for ingest to reach its token (services/core/config.ts). */
export const DEFAULT_AFTER_WAIT_MS = 200;
/** Longer `after` values are refused before decoding (a token for 1,000 partitions is ~25 KB; 6 is ~100 B). */
export const MAX_TOKEN_LENGTH = 32 * 1024;

export interface ConsistencyToken {
  readonly topic: string;
  /** Partition → the highest offset published there. */
  readonly offsets: ReadonlyMap<number, bigint>;
}

/** The token as the API carries it. */
export function encodeToken(token: ConsistencyToken): string {
  const o: Record<string, string> = {};
  for (const [p, offset] of [...token.offsets].sort((a, b) => a[0] - b[0])) o[String(p)] = offset.toString();
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, t: token.topic, o })).toString('base64url');
}

/** Both tokens' partitions, each at the higher offset (tokens of one topic only). */
export function mergeTokens(a: ConsistencyToken | undefined, b: ConsistencyToken): ConsistencyToken {
  if (a === undefined) return b;
  if (a.topic !== b.topic) throw new InterestStreamError('INVALID_INPUT', `tokens of topics ${a.topic} and ${b.topic} cannot be merged`);
  const offsets = new Map(a.offsets);
  for (const [p, o] of b.offsets) if ((offsets.get(p) ?? -1n) < o) offsets.set(p, o);
  return { topic: a.topic, offsets };
}

function bad(field: string, why: string): InterestStreamError {
  return new InterestStreamError('INVALID_INPUT', `${field} is not a consistency token: ${why}`, { details: { field } });
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const OFFSET = /^(0|[1-9]\d{0,18})$/;

/** Decodes an `after` value; anything malformed is INVALID_INPUT naming `field`. */
export function decodeToken(raw: string, field = 'after'): ConsistencyToken {
  if (raw.length === 0 || raw.length > MAX_TOKEN_LENGTH || !BASE64URL.test(raw)) throw bad(field, `expected a base64url string of 1-${MAX_TOKEN_LENGTH} characters`);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad(field, 'it does not decode');
  }
  if (typeof body !== 'object' || body === null) throw bad(field, 'it does not decode');
  const { v, t, o } = body as Record<string, unknown>;
  if (v !== TOKEN_VERSION) throw bad(field, `unknown version ${JSON.stringify(v ?? null)} (this service reads version ${TOKEN_VERSION})`);
  if (typeof t !== 'string' || t.length === 0) throw bad(field, 'no topic');
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad(field, 'no offsets');
  const offsets = new Map<number, bigint>();
  for (const [p, offset] of Object.entries(o)) {
    if (!/^(0|[1-9]\d{0,8})$/.test(p) || typeof offset !== 'string' || !OFFSET.test(offset)) throw bad(field, `bad partition offset ${JSON.stringify(p)}: ${JSON.stringify(offset)}`);
    offsets.set(Number(p), BigInt(offset));
  }
  if (offsets.size === 0) throw bad(field, 'no offsets');
  return { topic: t, offsets };
}

/**
 * Whether ingest has folded everything the token names: `applied` holds, per partition, the next
 * offset ingest will fold (everything below it is folded).
 */
export function tokenReached(token: ConsistencyToken, applied: ReadonlyMap<number, bigint>): boolean {
  for (const [p, offset] of token.offsets) {
    const next = applied.get(p);
    if (next === undefined || next <= offset) return false;
  }
  return true;
}
