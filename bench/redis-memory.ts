/**
 * Redis memory per user: MEMORY USAGE of user hashes after ingest, the popularity ZSET's share per
 * user, and one user filled to the default caps (seen 500, dedupe window 1,000) to show the ceiling.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../services/core/names.js';
import { emptyUserState, foldEvents, type FoldInput } from '../services/domain/fold.js';
import { RedisUserStateStore } from '../services/adapters/redis/redis-user-state-store.js';
import type { Catalogue } from '../services/workload/catalogue.js';
import { productFoldParams } from './env.js';
import { round, type Row } from './report.js';

/** Bytes Redis reports for a key, every element counted (SAMPLES 0). */
async function usage(redis: Redis, key: string): Promise<number> {
  return Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
}

/** Mean MEMORY USAGE over up to `sample` of the users ingest wrote, plus the ZSET share. */
export async function memoryAfterIngest(redis: Redis, keys: RedisKeys, userIds: readonly string[], dimension: number, shards = 8, sample = 500): Promise<Row[]> {
  const step = Math.max(1, Math.floor(userIds.length / sample));
  const picked = userIds.filter((_, i) => i % step === 0).slice(0, sample);
  const sizes = await Promise.all(picked.map((u) => usage(redis, keys.user(u))));
  const perUser = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  // Popularity lives in POPULAR_SHARDS sorted sets (default 8); the share is all of them together.
  const zset = (await Promise.all(Array.from({ length: shards }, (_, i) => usage(redis, keys.popularShard(i))))).reduce((a, b) => a + b, 0);
  const share = zset / userIds.length;
  const kib = (b: number) => round(b / 1024, 2);
  const variant = `d=${dimension}`;
  return [
    { measurement: 'redis memory / user', variant: `${variant}, user hash`, value: kib(perUser), unit: 'KiB', notes: `mean of ${picked.length} users` },
    {
      measurement: 'redis memory / user',
      variant: `${variant}, total incl. popularity ZSET share`,
      value: kib(perUser + share),
      unit: 'KiB',
      notes: `ZSET ${kib(zset)} KiB / ${userIds.length} users`,
      details: { userHashBytes: round(perUser, 0), zsetBytes: zset, users: userIds.length },
    },
  ];
}

/** One user folded through 1,000 views of distinct items: every default cap is full. */
export async function memoryAtCaps(redis: Redis, keys: RedisKeys, catalogue: Catalogue): Promise<Row> {
  const userId = 'bench-cap-user';
  const inputs: FoldInput[] = [];
  let i = 0;
  for (const item of catalogue.items()) {
    if (i >= 1000) break;
    const event = { eventId: `cap-${i}`, userId, itemId: item.id, type: 'VIEW' as const, occurredAt: 1_700_000_000_000 + i, weight: 1 };
    inputs.push({ event, item: item.vector, watermark: { partition: 0, offset: String(i) } });
    i++;
  }
  const { state } = foldEvents(emptyUserState(userId), inputs, productFoldParams(catalogue.dimension));
  await new RedisUserStateStore(redis, keys).putMany([state]);
  const bytes = await usage(redis, keys.user(userId));
  await redis.del(keys.user(userId));
  return {
    measurement: 'redis memory / user',
    variant: `d=${catalogue.dimension}, at default caps`,
    value: round(bytes / 1024, 2),
    unit: 'KiB',
    notes: `after 1,000 distinct views: seen ${state.seen.length}, dedupe ${state.recentEventIds.length}`,
  };
}
