import { toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import { decayedScore } from '../../domain/popularity-math.js';
import { type RedisClient, defineScripts } from './redis-client.js';
import { FORGET_BELOW, itemOf, shardRows, type RedisPopularityStore } from './redis-popularity-store.js';

/** Reads a whole sorted set and deletes it in one step: whoever runs it first gets the rows. */
const TAKE_SCRIPT = `
local rows = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
redis.call('DEL', KEYS[1])
return rows
`;

interface TakeCommands {
  isTakeSortedSet(key: string): Promise<string[]>;
}

/**
 * Folds the counts of the one key versions before POPULAR_SHARDS kept (`RedisKeys.popular()`, the
 * same layout as a shard: scores relative to its epoch member) into the shards of `store`, as views
 * of their decayed weight at `now`, and deletes it. Ingest calls it at start; the key is taken in one
 * atomic script, so with several ingest processes one folds it and the others find nothing. A crash
 * between the take and the shard writes loses those counts (they decay away anyway) rather than
 * counting them twice. Returns how many items were folded.
 */
export async function foldLegacyPopularityKey(redis: RedisClient, keys: RedisKeys, store: RedisPopularityStore, halfLifeMs: number, now: number = Date.now()): Promise<number> {
  const commands = defineScripts<TakeCommands>(redis, { isTakeSortedSet: { keys: 1, lua: TAKE_SCRIPT } });
  let flat: string[];
  try {
    flat = await commands.isTakeSortedSet(keys.popular());
  } catch (e) {
    throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
  }
  const { epoch0, rows } = shardRows(flat);
  const increments = rows
    .map(([member, raw]) => ({ itemId: itemOf(member), weight: decayedScore(raw, epoch0, now, halfLifeMs), at: now }))
    .filter((inc) => Number.isFinite(inc.weight) && inc.weight >= FORGET_BELOW);
  await store.record(increments, now);
  return increments.length;
}
