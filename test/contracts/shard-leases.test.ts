import { afterAll } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { InMemoryLeaseTable, InMemoryShardLeases } from '../../services/adapters/memory/memory-shard-leases.js';
import { RedisShardLeases } from '../../services/adapters/redis/redis-shard-leases.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeShardLeasesContract, LEASE_MS } from './shard-leases.contract.js';

const redis = testRedis();
const root = unique('leases');

afterAll(() => cleanUp(redis, root));

describeShardLeasesContract('in memory (the fake)', () => {
  let now = 1_700_000_000_000;
  const table = new InMemoryLeaseTable(() => now);
  return {
    instance: (token) => new InMemoryShardLeases(table, token, LEASE_MS),
    elapse: async (ms) => void (now += ms),
  };
});
// A generation of its own per table: its leases and done windows start empty.
describeShardLeasesContract('Redis', () => {
  const keys = new RedisKeys(root, unique('g'));
  return {
    instance: (token) => new RedisShardLeases(redis, keys, token, LEASE_MS),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
});
