import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { EmbeddedVectorStore } from '../../services/adapters/vector-store/embedded-vector-store.js';
import { VectorStoreEraseMarkers } from '../../services/adapters/vector-store/vector-store-erase-markers.js';
import { RedisErasures } from '../../services/adapters/redis/redis-erasures.js';
import { MemoryErasures } from '../support/fakes/erasures.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeErasuresContract } from './erasures.contract.js';

const redis = testRedis();
const root = unique('erasures');

const dir = mkdtempSync(path.join(tmpdir(), 'erasures-mirror-'));
const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });

beforeAll(() => store.start());
afterAll(async () => {
  await cleanUp(redis, root);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describeErasuresContract('in memory (the fake)', () => new MemoryErasures());
describeErasuresContract('Redis', () => new RedisErasures(redis, root, 60_000));
// With the durable mirror (services/adapters/vector-store/vector-store-erase-markers.ts) every mark is
// written there too; the same rules must hold. Its own root: the mirror is shared by the roots.
describeErasuresContract('Redis with its durable mirror', () => new RedisErasures(redis, `${root}:mirrored`, 60_000, new VectorStoreEraseMarkers(store)));
