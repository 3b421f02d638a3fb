/**
 * The production shape under faults: a 12-partition topic on three brokers (RF 3), Redis Cluster
 * (three primaries, one replica each), three ingest processes, two query processes and two
 * snapshotters. While events flow: a rolling restart of every ingest process, one broker killed and
 * restarted, one Redis primary killed so that its replica takes over. Then every user's vector must
 * equal an independent fold, no event counted twice, every user's history must hold a snapshot for
 * each closed window in which they had events (test/support/reference-history.ts), no ingest process
 * may have exited except those the rolling restart stopped, and queries must have kept answering.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopic } from '../../services/adapters/kafka/interaction-publisher.js';
import { RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import { RedisKeys } from '../../services/core/names.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { eventually } from '../support/eventually.js';
import { maxAbsDiff, referenceFold } from '../support/reference-fold.js';
import { checkHistories, type HistoryCheck, type SentEvent } from '../support/reference-history.js';
import { workload } from '../support/workload.js';
import { bounceBroker, clusterEndpoints, failOverRedisPrimary, primaries } from './support.js';

const QUERY_PORTS = [26011, 26012];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls both query processes until stopped; counts answers by class. */
function queryLoad(userIds: readonly string[]) {
  const counts = { total: 0, ok: 0, failed: [] as string[] };
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const port = QUERY_PORTS[i % QUERY_PORTS.length]!;
      const user = userIds[i % userIds.length]!;
      counts.total++;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/users/${user}/recommendations?limit=5`, { signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) counts.ok++;
        else counts.failed.push(`${res.status}`);
      } catch (e) {
        counts.failed.push((e as Error).name);
      }
      await sleep(20);
    }
  })();
  return { counts, stop: async () => ((running = false), await loop) };
}

/** Records into `exits` an exit of `child` the test did not ask for (it stops ingest only by the rolling restart and at the end). */
function watchExit(child: ChildProcess, stopped: ReadonlySet<ChildProcess>, exits: string[]): void {
  child.once('exit', (code, signal) => {
    if (!stopped.has(child)) exits.push(`pid ${child.pid}: ${signal ?? `code ${code}`}`);
  });
}

describe('cluster: 3 brokers, Redis Cluster, 3 ingest, 2 query, 2 snapshotters', () => {
  const endpoints = clusterEndpoints();
  const h = new IngestHarness({
    ...endpoints,
    partitions: 12,
    extraEnv: { REDIS_CLUSTER: 'true', SNAPSHOT_INTERVAL_MS: '1000', SNAPSHOT_LATENESS_MS: '200', RATE_LIMIT_PER_MINUTE: '1000000', POPULAR_SHARDS: '8' },
  });
  const w = workload({ seed: 1414, items: 150, users: 300, events: 6000, dimension: 16, erase: false });
  const ingests: ChildProcess[] = [];
  const others: ChildProcess[] = [];

  beforeAll(async () => {
    await h.start();
    // Created once here rather than by three ingest processes starting together.
    const c = h.config;
    for (const topic of [`${c.interactionsTopic}.dlq`, c.itemsTopic, `${c.itemsTopic}.dlq`, c.historyTopic]) await ensureTopic(h.admin, topic, c.topicPartitions);
    await h.importItems(w.items);
  });
  afterAll(() => h.close());

  it('keeps every invariant through a rolling restart, a broker loss and a Redis failover', async () => {
    const stopped = new Set<ChildProcess>();
    const ingestExits: string[] = [];
    const spawnIngest = (name: string) => {
      const child = h.spawnIngest([], { KAFKA_CLIENT_ID: name });
      watchExit(child, stopped, ingestExits);
      return child;
    };
    for (let i = 0; i < 3; i++) ingests.push(spawnIngest(`ingest-${i}-a`));
    for (let i = 0; i < 3; i++) await h.joined(`ingest-${i}-a`, 120_000);
    QUERY_PORTS.forEach((port, i) => others.push(h.spawnCli('query', [], { QUERY_HTTP_PORT: String(port), QUERY_GRPC_PORT: String(port + 10), KAFKA_CLIENT_ID: `query-${i}` })));
    for (let i = 0; i < 2; i++) others.push(h.spawnCli('snapshotter', [], { KAFKA_CLIENT_ID: `snapshotter-${i}` }));
    for (const port of QUERY_PORTS) await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, { timeoutMs: 120_000, intervalMs: 500 });

    const load = queryLoad(w.userIds);
    let publishing = true;
    const sent: SentEvent[] = [];
    const published = (async () => {
      for (let i = 0; i < w.events.length; i += 100) {
        sent.push(...((await h.publisher.publish(w.events.slice(i, i + 100))) as SentEvent[]));
        await sleep(100);
      }
      publishing = false;
    })();

    // Rolling restart: each ingest stopped with SIGTERM (it finishes its batch) and replaced.
    for (let i = 0; i < 3; i++) {
      stopped.add(ingests[i]!);
      await h.kill(ingests[i]!, 'SIGTERM');
      ingests[i] = spawnIngest(`ingest-${i}-b`);
      await h.joined(`ingest-${i}-b`, 120_000);
    }
    await bounceBroker(1, 3_000);
    const victim = primaries(25301).find((p) => p !== 25301)!;
    await failOverRedisPrimary(victim);
    await published;
    expect(publishing).toBe(false);
    await h.drained(240_000);
    const { counts } = load;
    await load.stop();

    const expected = referenceFold(w.events, w.items);
    const states = await h.hotStates(w.userIds);
    const durable = await h.durableStates(w.userIds);
    let maxDiff = 0;
    const wrong: string[] = [];
    const doubled: string[] = [];
    for (const [id, ref] of expected) {
      const s = states.get(id);
      if (!s || s.vector === null || ref.vector === null) {
        wrong.push(id);
        continue;
      }
      if (s.eventCount > ref.eventCount) doubled.push(id);
      const diff = maxAbsDiff(s.vector, ref.vector);
      maxDiff = Math.max(maxDiff, diff);
      if (s.eventCount !== ref.eventCount || diff > 1e-5) wrong.push(id);
      const d = durable.get(id);
      if (!d || d.eventCount !== s.eventCount) wrong.push(`${id} (durable)`);
    }
    const histories = await completeHistories(h, sent, w.items);
    const okPct = (100 * counts.ok) / Math.max(1, counts.total);
    console.log(
      `cluster summary: users=${expected.size} events=${w.events.length} wrong=${wrong.length} doubleCounted=${doubled.length} ` +
        `maxDiff=${maxDiff.toExponential(2)} historiesWrong=${histories.wrong.length} snapshots=${histories.snapshots} (exact=${histories.exact} late=${histories.late}) ` +
        `ingestExits=${ingestExits.length} queries=${counts.total} ok=${counts.ok} (${okPct.toFixed(3)} % 2xx) failures=[${counts.failed.join(',')}] redisFailover=${victim}`,
    );
    expect(wrong).toEqual([]);
    expect(doubled).toEqual([]);
    expect(histories.wrong).toEqual([]);
    expect(histories.snapshots).toBeGreaterThan(w.userIds.length);
    expect(ingestExits).toEqual([]);
    expect(okPct).toBeGreaterThanOrEqual(99.9);
    for (const c of [...ingests, ...others]) {
      stopped.add(c);
      await h.kill(c, 'SIGTERM');
    }
  });
});

/**
 * Waits (the snapshotters close the last windows SNAPSHOT_LATENESS_MS after they end, the history
 * fold follows) until every user's history is what the reference says, or a minute has passed, and
 * returns the last check.
 */
async function completeHistories(h: IngestHarness, sent: readonly SentEvent[], items: ReadonlyMap<string, Float32Array>): Promise<HistoryCheck> {
  const { historySize, snapshotIntervalMs } = h.config;
  const store = new RedisHistoryStore(h.redis, new RedisKeys(h.config.redisPrefix, h.config.generation), historySize);
  const users = [...new Set(sent.map((e) => e.userId))];
  let check: HistoryCheck | undefined;
  const deadline = Date.now() + 60_000;
  while (check === undefined || (check.wrong.length > 0 && Date.now() < deadline)) {
    if (check !== undefined) await sleep(2_000);
    const stored = new Map(await Promise.all(users.map(async (u) => [u, await store.recent(u, historySize)] as const)));
    check = checkHistories(sent, items, stored, { intervalMs: snapshotIntervalMs, historySize });
  }
  return check;
}
