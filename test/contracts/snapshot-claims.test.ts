import { afterAll } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { InMemorySnapshotClaims } from '../../services/adapters/memory/memory-snapshot-claims.js';
import { InMemoryUserStateStore } from '../../services/adapters/memory/memory-user-state-store.js';
import { RedisSnapshotClaims } from '../../services/adapters/redis/redis-snapshot-claims.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeSnapshotClaimsContract } from './snapshot-claims.contract.js';

const redis = testRedis();
const root = unique('claims');

afterAll(() => cleanUp(redis, root));

describeSnapshotClaimsContract('in memory (the fake)', () => {
  const states = new InMemoryUserStateStore();
  return { states, claims: new InMemorySnapshotClaims((userId) => states.watermarkOf(userId)) };
});
// A generation of its own per pair: users and claims start empty.
describeSnapshotClaimsContract('Redis', () => {
  const keys = new RedisKeys(root, unique('g'));
  return { states: new RedisUserStateStore(redis, keys), claims: new RedisSnapshotClaims(redis, keys) };
});
