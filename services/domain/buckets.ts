/**
 * A/B assignment of users to strategies (STRATEGY_BUCKETS=ema:50,hybrid:50): a user's bucket is a
 * pure function of a salted hash of their id, so every query, process and replica agrees, and
 * changing the salt reshuffles everyone at once.
 */
import { InterestStreamError } from './errors.js';
import { eventIdHash } from './event-id.js';
import { fmix32 } from './hash.js';

export interface Bucket {
  /** `<strategy>:<weight>` as configured, e.g. `hybrid:50`: what answers echo. */
  readonly name: string;
  readonly strategy: string;
  readonly weight: number;
}

/** Parses `ema:50,hybrid:50`; weights are positive integers, strategies one of `allowed`. */
export function parseBuckets(spec: string, allowed: readonly string[]): Bucket[] {
  const buckets = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((part) => {
      const m = /^([a-z]+):(\d+)$/.exec(part);
      if (m === null) throw new InterestStreamError('INVALID_INPUT', `bucket ${JSON.stringify(part)} is not <strategy>:<weight>`);
      const [, strategy, weight] = m;
      if (!allowed.includes(strategy!)) throw new InterestStreamError('INVALID_INPUT', `bucket ${JSON.stringify(part)}: strategy must be one of ${allowed.join(', ')}`);
      if (Number(weight) < 1) throw new InterestStreamError('INVALID_INPUT', `bucket ${JSON.stringify(part)}: weight must be at least 1`);
      return { name: part, strategy: strategy!, weight: Number(weight) };
    });
  const names = buckets.map((b) => b.strategy);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new InterestStreamError('INVALID_INPUT', `strategy ${twice} has two buckets`);
  return buckets;
}

/**
 * The user's bucket: FNV-1a-64(`salt:userId`), its halves mixed by murmur3's finaliser (FNV's high
 * bits barely move when only the last characters differ, as in `user-1`, `user-2`), as a fraction
 * of 2^32, mapped onto the cumulative weights in configured order. Null when there are no buckets.
 */
export function assignBucket(userId: string, salt: string, buckets: readonly Bucket[]): Bucket | null {
  if (buckets.length === 0) return null;
  const total = buckets.reduce((n, b) => n + b.weight, 0);
  const hash = eventIdHash(`${salt}:${userId}`);
  const mixed = fmix32((parseInt(hash.slice(0, 8), 16) ^ fmix32(parseInt(hash.slice(8), 16))) >>> 0);
  const point = (mixed / 2 ** 32) * total;
  let upTo = 0;
  for (const b of buckets) {
    upTo += b.weight;
    if (point < upTo) return b;
  }
  return buckets[buckets.length - 1]!;
}
