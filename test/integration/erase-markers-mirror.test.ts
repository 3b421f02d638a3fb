/**
 * The erase markers' durable mirror (vector-store-erase-markers.ts): what Redis lost comes back from
 * it, with the markers' rules, and markers from before the mirror are copied into it once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisErasures } from '../../services/adapters/redis/redis-erasures.js';
import { createVectorStore } from '../../services/adapters/vector-store/create-vector-store.js';
import { VectorStoreEraseMarkers } from '../../services/adapters/vector-store/vector-store-erase-markers.js';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys } from '../../services/core/names.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { vectorStoreEnv } from '../support/vector-store-env.js';

describe('erase markers kept durably beside Redis', () => {
  const redis = testRedis();
  const dir = mkdtempSync(path.join(tmpdir(), 'erase-mirror-'));
  const root = unique('erase-mirror');
  // The embedded store, or Qdrant under `npm run test:qdrant`.
  const store = createVectorStore(loadConfig(vectorStoreEnv(root, dir)), silentLogger());

  beforeAll(() => store.start());
  afterAll(async () => {
    await cleanUp(redis, root);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a marker Redis lost from the mirror, and puts it back into Redis', async () => {
    const erasures = new RedisErasures(redis, root, 60_000, new VectorStoreEraseMarkers(store));
    const [lost, kept, never] = [unique('lost'), unique('kept'), unique('never')];
    await erasures.mark({ userId: lost, watermark: { partition: 2, offset: '41' }, at: 4_100 });
    await erasures.mark({ userId: kept, watermark: { partition: 0, offset: '7' }, at: 700 });
    await redis.del(RedisKeys.eraseMarker(root, lost));

    const found = await erasures.markers([lost, kept, never]);
    expect([...found.keys()].sort()).toEqual([kept, lost].sort());
    expect(found.get(lost)).toEqual({ userId: lost, watermark: { partition: 2, offset: '41' }, at: 4_100 });
    expect(await redis.hgetall(RedisKeys.eraseMarker(root, lost))).toEqual({ w: '2:41', t: '4100' });
    // Without the mirror, the same Redis now answers it again (it was put back).
    expect((await new RedisErasures(redis, root, 60_000).markers([lost])).get(lost)?.watermark).toEqual({ partition: 2, offset: '41' });
  });

  it('keeps the later erasure in the mirror: an older offset on the partition, or an earlier time on another, does not replace it', async () => {
    const mirror = new VectorStoreEraseMarkers(store);
    const user = unique('forward');
    await mirror.put([{ userId: user, watermark: { partition: 1, offset: '90' }, at: 9_000 }]);
    await mirror.put([{ userId: user, watermark: { partition: 1, offset: '80' }, at: 9_500 }]);
    await mirror.put([{ userId: user, watermark: { partition: 3, offset: '5' }, at: 8_000 }]);
    expect((await mirror.get([user])).get(user)).toEqual({ userId: user, watermark: { partition: 1, offset: '90' }, at: 9_000 });
    await mirror.put([{ userId: user, watermark: { partition: 3, offset: '6' }, at: 9_001 }]);
    expect((await mirror.get([user])).get(user)).toEqual({ userId: user, watermark: { partition: 3, offset: '6' }, at: 9_001 });
    // Two markers of one user in one call: the later wins, whatever their order.
    const both = unique('both');
    await mirror.put([
      { userId: both, watermark: { partition: 0, offset: '12' }, at: 2 },
      { userId: both, watermark: { partition: 0, offset: '11' }, at: 3 },
    ]);
    expect((await mirror.get([both])).get(both)?.watermark.offset).toBe('12');
  });

  it('copies the markers Redis held before the mirror existed into it, once', async () => {
    const own = `${root}:sync`;
    const plain = new RedisErasures(redis, own, 60_000);
    const users = Array.from({ length: 3 }, (_, i) => unique(`old-${i}`));
    for (const [i, userId] of users.entries()) await plain.mark({ userId, watermark: { partition: i, offset: String(10 + i) }, at: 100 + i });
    const mirror = new VectorStoreEraseMarkers(store);
    const mirrored = new RedisErasures(redis, own, 60_000, mirror);
    expect(await mirrored.syncMirror()).toBe(3);
    expect(await mirrored.syncMirror()).toBe(0); // the flag says it was done
    const held = await mirror.get(users);
    expect(users.map((u) => held.get(u))).toEqual(users.map((userId, i) => ({ userId, watermark: { partition: i, offset: String(10 + i) }, at: 100 + i })));
  });
});
