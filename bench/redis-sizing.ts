/**
 * Redis memory per user for sizing (docs/deployment.md, "Sizing"): `MEMORY USAGE … SAMPLES 0` of
 * real states — users folded by the domain fold from the workload generator's activity (15 events
 * per user on average, as in bench/ingest-throughput.ts) and written by the Redis adapter — at
 * d = 64, 256 and 1536; plus each user's history list filled to HISTORY_SIZE snapshots, and one user
 * at the default caps. Runs against the stack's Redis under a unique prefix it removes afterwards.
 *
 *   npx tsx bench/redis-sizing.ts
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisKeys } from '../services/core/names.js';
import { emptyUserState, foldEvents, type FoldInput } from '../services/domain/fold.js';
import type { UserState } from '../services/domain/types.js';
import { RedisUserStateStore } from '../services/adapters/redis/redis-user-state-store.js';
import { RedisHistoryStore, historyKey } from '../services/adapters/redis/redis-history-store.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue, type Catalogue } from '../services/workload/catalogue.js';
import { productFoldParams, stackFromEnv } from './env.js';
import { memoryAtCaps } from './redis-memory.js';

const USERS = 500;
const EVENTS_PER_USER = 15;
const HISTORY_SIZE = 20;

async function usage(redis: Redis, key: string): Promise<number> {
  return Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
}

/** Every user of a generated activity folded from empty, as ingest would leave them. */
function foldedUsers(catalogue: Catalogue, dimension: number): UserState[] {
  const vectors = new Map([...catalogue.items()].map((item) => [item.id, item.vector]));
  const byUser = new Map<string, FoldInput[]>();
  let offset = 0;
  for (const event of createActivity(catalogue, { users: USERS, events: USERS * EVENTS_PER_USER, seed: 14 }).events()) {
    const inputs = byUser.get(event.userId) ?? [];
    inputs.push({ event, item: vectors.get(event.itemId) ?? null, watermark: { partition: 0, offset: String(offset++) } });
    byUser.set(event.userId, inputs);
  }
  return [...byUser].map(([userId, inputs]) => foldEvents(emptyUserState(userId), inputs, productFoldParams(dimension)).state);
}

async function measure(redis: Redis, dimension: number): Promise<string> {
  const keys = new RedisKeys(`sizing-${randomUUID().slice(0, 8)}`, 'g1');
  const catalogue = createCatalogue({ items: 2_000, dimension, clusters: 20, seed: 14 });
  const states = foldedUsers(catalogue, dimension).filter((s) => s.vector !== null);
  try {
    await new RedisUserStateStore(redis, keys).putMany(states);
    const history = new RedisHistoryStore(redis, keys, HISTORY_SIZE);
    const sampled = states.slice(0, 100);
    for (const s of sampled) {
      for (let w = 0; w < HISTORY_SIZE; w++) {
        await history.append({ userId: s.userId, vector: s.vector!, takenAt: (w + 1) * 3_600_000 - 1, eventCount: s.eventCount, watermarkPartition: 0, watermarkOffset: '1', generation: 'g1', window: w });
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const stateBytes = mean(await Promise.all(states.map((s) => usage(redis, keys.user(s.userId)))));
    const historyBytes = mean(await Promise.all(sampled.map((s) => usage(redis, historyKey(keys, s.userId)))));
    const caps = await memoryAtCaps(redis, keys, catalogue);
    const kib = (b: number) => (b / 1024).toFixed(2);
    return `| ${dimension} | ${kib(stateBytes)} | ${kib(historyBytes)} | ${kib(stateBytes + historyBytes)} | ${caps.value} |`;
  } finally {
    const found = await redis.keys(`${keys.prefix}:*`);
    for (const k of found) await redis.del(k);
  }
}

const redis = new Redis(stackFromEnv().redisUrl);
try {
  console.log(`Redis memory per user (KiB; ${USERS} users, ${EVENTS_PER_USER} events each on average; history of ${HISTORY_SIZE} snapshots, mean of 100 users)`);
  console.log('| d | state hash | history list | state + history | state at default caps |');
  console.log('|---|---|---|---|---|');
  for (const d of [64, 256, 1536]) console.log(await measure(redis, d));
} finally {
  redis.disconnect();
}
