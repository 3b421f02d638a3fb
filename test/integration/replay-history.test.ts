import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../services/core/config.js';
import type { InterestSnapshot } from '../../services/domain/types.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys, consumerGroupId } from '../../services/core/names.js';
import { waitForCatchUp } from '../../services/adapters/kafka/consumer-lag.js';
import { RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import { startIngest } from '../../services/ingest/ingest-service.js';
import { startHistoryFold, startSnapshotter } from '../../services/snapshotter/main.js';
import { eventually } from '../support/eventually.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { maxAbsDiff } from '../support/reference-fold.js';
import { workload } from '../support/workload.js';

const INTERVAL_MS = 1000;

/**
 * History windows are event time, so a replay into a new generation rebuilds the same history as
 * live folding did: ingest snapshots the windows that close inside a batch, the snapshotter those of
 * idle users, and both emit the same bytes for the same (user, window).
 */
describe('history of a replayed generation', () => {
  const w = workload({ seed: 29, items: 40, users: 12, events: 360, dimension: 8 });
  const suite = ingestSuite(w.items, { extraEnv: { SNAPSHOT_INTERVAL_MS: String(INTERVAL_MS), SNAPSHOT_LATENESS_MS: '100', DIRTY_SHARDS: '4' } });
  const { h } = suite;
  const closers: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c.close();
  });

  const configFor = (generation: string): Config => loadConfig({ ...h.env, GENERATION: generation });
  async function runGeneration(config: Config): Promise<void> {
    closers.push(await startIngest(config, silentLogger()));
    closers.push(await startHistoryFold(config, silentLogger()));
    closers.push(await startSnapshotter(config, silentLogger()));
  }
  const history = (generation: string) => new RedisHistoryStore(h.redis, new RedisKeys(h.config.redisPrefix, generation), 20);
  const comparable = (s: InterestSnapshot) => ({ window: s.window, takenAt: s.takenAt, eventCount: s.eventCount, offset: `${s.watermarkPartition}:${s.watermarkOffset}` });

  it('gives live ingest into g1 and a later replay into g2 identical histories', async () => {
    const g1 = configFor('g1');
    await runGeneration(g1);
    // Live: events stamped "now", spread over about five windows.
    for (let i = 0; i < w.events.length; i += 30) {
      await h.publisher.publish(w.events.slice(i, i + 30));
      await new Promise((r) => setTimeout(r, 400));
    }
    await waitForCatchUp(h.admin, consumerGroupId(g1.consumerGroup, 'g1'), g1.interactionsTopic);
    // Each user's last window closes INTERVAL + lateness after it began; the snapshotter then
    // snapshots it within a tick, and the history fold appends it.
    const settled = (await eventually(async () => {
      const before = await Promise.all(w.userIds.map((u) => history('g1').recent(u, 20)));
      await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
      const after = await Promise.all(w.userIds.map((u) => history('g1').recent(u, 20)));
      const stable = after.every((s, i) => s.length === before[i]!.length && s.length >= 3);
      return stable ? after : undefined;
    }, { timeoutMs: 20_000, intervalMs: 0 }))!;

    const g2 = configFor('g2');
    await runGeneration(g2);
    const replayed = await eventually(async () => {
      const all = await Promise.all(w.userIds.map((u) => history('g2').recent(u, 20)));
      return all.every((snaps, i) => snaps.length === settled[i]!.length) ? all : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    w.userIds.forEach((userId, i) => {
      const a = settled[i]!;
      const b = replayed![i]!;
      expect(b.map(comparable), userId).toEqual(a.map(comparable));
      a.forEach((s, j) => expect(maxAbsDiff(s.vector, b[j]!.vector)).toBeLessThanOrEqual(1e-6));
      expect(new Set(a.map((s) => s.window)).size).toBe(a.length);
    });
  });
});
