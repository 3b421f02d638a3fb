import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { eventually } from '../support/eventually.js';
import { OwnRedis } from '../support/own-redis.js';
import { mismatches } from '../support/state-checks.js';
import { workload } from '../support/workload.js';

/**
 * Redis coming back *older* (not empty) must not send a user back in time: ingest trusts a Redis
 * state only when it wrote or verified exactly that state on the current node, and otherwise takes
 * the newer of Redis and the durable store. Real processes: an ingest child, the broker, Redis.
 */
describe('user state never goes back in time', () => {
  const w = workload({ seed: 41, items: 60, users: 80, events: 1500, dimension: 8, erase: true });
  const thirds = [w.events.slice(0, 500), w.events.slice(500, 1000), w.events.slice(1000)];

  async function harness(redisUrl = inject('redisUrl')): Promise<IngestHarness> {
    const h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl });
    onTestFinished(() => h.close());
    // The test's own client sees the Redis restart too; ioredis reconnects by itself.
    h.redis.on('error', () => {});
    await h.start();
    await h.importItems(w.items);
    return h;
  }

  async function expectReference(h: IngestHarness): Promise<void> {
    expect(mismatches(await h.hotStates(w.userIds), w.events, w.items)).toEqual([]);
    expect(mismatches(await h.durableStates(w.userIds), w.events, w.items)).toEqual([]);
  }

  it('Rewind: old DUMPs RESTOREd over every user key after a third of the events are durable; the last third still folds onto the newest state', async () => {
    const h = await harness();
    const keys = new RedisKeys(h.config.redisPrefix, h.config.generation);
    h.spawnIngest();
    await h.publisher.publish(thirds[0]!);
    await h.drained(90_000);
    const dumps = new Map(await Promise.all(w.userIds.map(async (id) => [id, await h.redis.dumpBuffer(keys.user(id))] as const)));

    await h.publisher.publish(thirds[1]!);
    await h.drained(90_000);
    for (const [id, dump] of dumps) {
      if (dump === null) await h.redis.del(keys.user(id));
      else await h.redis.restore(keys.user(id), 0, dump, 'REPLACE');
    }

    await h.publisher.publish(thirds[2]!);
    await h.drained(90_000);
    await expectReference(h);
  });

  it('Real restart: a redis-server with appendfsync everysec SIGKILLed mid-stream and restarted from its AOF', async () => {
    const redis = new OwnRedis(21001);
    onTestFinished(() => redis.close());
    await redis.start();
    const h = await harness(redis.url);
    let ingest = h.spawnIngest();
    const publishing = (async () => {
      for (let i = 0; i < w.events.length; i += 100) {
        await h.publisher.publish(w.events.slice(i, i + 100));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // Killed while ingest is writing: some users are folded, the stream is not over.
    await eventually(async () => (await h.hotStates(w.userIds)).size >= 20, { timeoutMs: 60_000, intervalMs: 50 });
    await redis.kill();
    await new Promise((r) => setTimeout(r, 300));
    await redis.start();
    await publishing;
    // Ingest may give up on Redis while it is down; an operator's supervisor restarts it.
    if (ingest.exitCode !== null) ingest = h.spawnIngest();
    await h.drained(120_000);
    await expectReference(h);
  });
});
