import { afterAll } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { InMemoryIngestProgress } from '../../services/adapters/memory/memory-ingest-progress.js';
import { RedisIngestProgress } from '../../services/adapters/redis/redis-ingest-progress.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeIngestProgressContract } from './ingest-progress.contract.js';

const redis = testRedis();
const keys = new RedisKeys(unique('progress'), 'g1');

afterAll(() => cleanUp(redis, keys.root));

describeIngestProgressContract('in memory (the fake)', () => new InMemoryIngestProgress());
describeIngestProgressContract('Redis', () => new RedisIngestProgress(redis, keys));
