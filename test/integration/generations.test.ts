import { afterAll, describe, expect, it } from 'vitest';
import { runGeneration } from '../../services/cli/generation-command.js';
import { loadConfig, type Config } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys, consumerGroupId, usersCollection } from '../../services/core/names.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { waitForCatchUp } from '../../services/adapters/kafka/consumer-lag.js';
import { startIngest, type IngestHandle } from '../../services/ingest/ingest-service.js';
import { startQueryService, type RunningQueryService } from '../../services/query/main.js';
import type { UserState } from '../../services/domain/types.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { maxAbsDiff } from '../support/reference-fold.js';
import { workload } from '../support/workload.js';

/**
 * Generations: a replay of the topic into a new generation (own group, Redis prefix, users
 * collection) rebuilds every user, and `generation activate` switches the query service atomically.
 */
describe('generations: replay and activation', () => {
  const w = workload({ seed: 17, items: 60, users: 50, events: 1200, dimension: 8, erase: true });
  const suite = ingestSuite(w.items);
  const { h } = suite;
  const running: Array<IngestHandle | RunningQueryService> = [];
  afterAll(async () => {
    for (const r of running) await r.close();
  });

  const configFor = (generation: string, extra: Record<string, string> = {}): Config => loadConfig({ ...h.env, GENERATION: generation, ...extra });
  async function ingestGeneration(config: Config): Promise<IngestHandle> {
    const handle = await startIngest(config, silentLogger());
    running.push(handle);
    await waitForCatchUp(h.admin, consumerGroupId(config.consumerGroup, config.generation), config.interactionsTopic, { timeoutMs: 60_000 });
    return handle;
  }
  const statesOf = (generation: string): Promise<Map<string, UserState>> =>
    new RedisUserStateStore(h.redis, new RedisKeys(h.config.redisPrefix, generation)).getMany(w.userIds);
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    await runGeneration(args, h.config, silentLogger(), (l) => out.push(l));
    return out.join('\n');
  };

  it('replays the topic into a new generation with identical vectors, and erased users stay erased', async () => {
    await h.publisher.publish(w.events);
    await ingestGeneration(configFor('g1'));
    await ingestGeneration(configFor('g2'));
    const [g1, g2] = await Promise.all([statesOf('g1'), statesOf('g2')]);
    expect(g1.size).toBe(w.userIds.length);
    for (const userId of w.userIds) {
      const a = g1.get(userId)!;
      const b = g2.get(userId)!;
      expect(b.eventCount).toBe(a.eventCount);
      expect(b.erased).toBe(a.erased);
      if (a.vector === null) expect(b.vector).toBeNull();
      else expect(maxAbsDiff(a.vector, b.vector!)).toBeLessThanOrEqual(1e-6);
    }
    const erased = w.userIds.filter((u) => {
      const last = w.events.filter((e) => e.userId === u).at(-1)!;
      return last.type === 'ERASE';
    });
    expect(erased.length).toBeGreaterThan(0);
    for (const u of erased) expect(g2.get(u)).toMatchObject({ erased: true, vector: null, eventCount: 0 });
    const listing = await cli('list');
    expect(listing).toMatch(/\tg1\t/);
    expect(listing).toMatch(/\tg2\t/);
  });

  it('switches queries to a generation atomically: every query in a loop succeeds and answers from it right after', async () => {
    // g3 is a backfill with another alpha, so its vectors differ from g1's.
    await ingestGeneration(configFor('g3', { FOLD_ALPHA: '0.6' }));
    await cli('activate', 'g1');
    const query = await startQueryService(configFor('g1', { QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000' }), silentLogger());
    running.push(query);
    const userId = w.userIds.find((u) => w.events.filter((e) => e.userId === u && e.type !== 'ERASE').length > 5 && !w.events.some((e) => e.userId === u && e.type === 'ERASE'))!;
    const vectorVia = async () => {
      const res = await fetch(`http://127.0.0.1:${query.httpPort}/v1/users/${userId}/interest?include=vector`);
      return { status: res.status, vector: ((await res.json()) as { vector: number[] }).vector };
    };
    const [g1, g3] = await Promise.all([statesOf('g1'), statesOf('g3')]);
    const v1 = Array.from(g1.get(userId)!.vector!);
    const v3 = Array.from(g3.get(userId)!.vector!);
    expect(maxAbsDiff(v1, v3)).toBeGreaterThan(1e-3);
    expect((await vectorVia()).vector).toEqual(v1);

    let looping = true;
    const statuses: number[] = [];
    const loop = (async () => {
      while (looping) statuses.push((await vectorVia()).status);
    })();
    await new Promise((r) => setTimeout(r, 100));
    expect(await cli('activate', 'g3')).toContain('generation g3 is active (was g1');
    const right = await vectorVia();
    looping = false;
    await loop;
    expect(right.vector).toEqual(v3);
    expect(statuses.length).toBeGreaterThan(5);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await h.store.resolveAlias('users')).toBe(usersCollection('g3'));
  });

  it('refuses to drop the active generation, and drops a retired one completely', async () => {
    await expect(cli('drop', 'g3')).rejects.toThrow(/is active/);
    for (const r of running.splice(0)) await r.close();
    expect(await cli('drop', 'g2')).toMatch(/generation g2 dropped: consumer groups, \d+ Redis keys/);
    expect((await statesOf('g2')).size).toBe(0);
    expect(await h.store.collectionDimension(usersCollection('g2'))).toBeUndefined();
    expect(await cli('list')).not.toMatch(/\tg2\t/);
  });
});
