/**
 * The `snapshotter` process' /metrics as an operator scrapes it: a real snapshotter and history fold
 * (startSnapshotterProcess, as `interest-stream snapshotter` runs them) on the shared Kafka and
 * Redis, over users written and marked dirty the way ingest leaves them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys } from '../../services/core/names.js';
import { emptyUserState } from '../../services/domain/fold.js';
import type { UserState } from '../../services/domain/types.js';
import { RedisDirtyUsers } from '../../services/adapters/redis/redis-dirty-users.js';
import { startSnapshotterProcess, type SnapshotterProcessHandle } from '../../services/snapshotter/main.js';
import { eventually } from '../support/eventually.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { unique } from '../support/names.js';

const USERS = 7;

/** One series' value in a /metrics text (`name{labels}` exactly as exposed), undefined when absent. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** Users with a vector and an event 10 s ago (a closed window), marked dirty as ingest marks them. */
async function writeDirtyUsers(h: IngestHarness, ids: readonly string[]): Promise<void> {
  const states: UserState[] = ids.map((userId, i) => ({
    ...emptyUserState(userId),
    vector: Float32Array.of(0.6, 0.8),
    eventCount: 1,
    lastEventAt: Date.now() - 10_000,
    watermark: { partition: 0, offset: String(i + 1) },
  }));
  const written = await h.states.casMany(states.map((state) => ({ state, expected: null })));
  expect(written.every((w) => w.ok)).toBe(true);
  const keys = new RedisKeys(h.config.redisPrefix, h.config.generation);
  await new RedisDirtyUsers(h.redis, keys, h.config.dirtyShards).mark(states.map((s) => ({ userId: s.userId, watermark: s.watermark })));
}

describe('snapshotter process /metrics', () => {
  const h = new IngestHarness({
    kafkaBrokers: inject('kafkaBrokers'),
    redisUrl: inject('redisUrl'),
    extraEnv: { HISTORY_TOPIC: unique('history'), SNAPSHOT_INTERVAL_MS: '1000', SNAPSHOT_LATENESS_MS: '0', DIRTY_SHARDS: '4' },
  });
  let snapshotter: SnapshotterProcessHandle | undefined;
  let url = '';

  beforeAll(async () => {
    await h.start();
    await writeDirtyUsers(h, Array.from({ length: USERS }, (_, i) => `user-${i}`));
    snapshotter = await startSnapshotterProcess(h.config, silentLogger());
    url = `http://127.0.0.1:${snapshotter.metricsPort}`;
  });
  afterAll(async () => {
    await snapshotter?.close();
    await h.admin.deleteTopics({ topics: [h.config.historyTopic, `${h.config.historyTopic}.dlq`] }).catch(() => {});
    await h.close();
  });

  it('counts one snapshot per dirty user, sent by the snapshotter and folded by the history fold', async () => {
    const text = await eventually(
      async () => {
        const t = await (await fetch(`${url}/metrics`)).text();
        if (series(t, 'interest_stream_history_fold_records_total{kind="snapshot"}') !== USERS) throw new Error('not every snapshot folded yet');
        return t;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(series(text, 'interest_stream_snapshotter_records_total{kind="snapshot"}')).toBe(USERS);
    expect(series(text, 'interest_stream_snapshotter_users_total{outcome="snapshotted"}')).toBe(USERS);
    expect(series(text, 'interest_stream_snapshotter_records_total{kind="erase"}')).toBeUndefined();
    // Every shard completed a window: the first pass covered all four.
    expect(series(text, 'interest_stream_snapshotter_shard_runs_total{end="complete"}')).toBeGreaterThanOrEqual(4);
    expect(series(text, 'interest_stream_snapshotter_shard_runs_total{end="failed"}')).toBeUndefined();
    expect(series(text, 'interest_stream_snapshotter_backlog_seconds')).toBeLessThan(1);
    expect(series(text, 'interest_stream_snapshotter_leases_held')).toBeLessThanOrEqual(1);
    expect(text).toMatch(/^interest_stream_history_fold_consumer_lag\{topic="[^"]+",partition="\d+"\} 0$/m);
    expect(series(text, 'interest_stream_history_fold_batch_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('interest_stream_process_cpu_seconds_total');
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
  });

  it('counts an undecodable history record as a dead letter by reason', async () => {
    const producer = h.kafka.producer();
    await producer.connect();
    await producer.send({ topic: h.config.historyTopic, messages: [{ key: 'user-0{g1:0}', value: 'not a snapshot' }] });
    await producer.disconnect();
    await eventually(async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(series(text, 'interest_stream_history_fold_dead_letters_total{reason="DECODE_FAILED"}')).toBe(1);
      return true;
    });
  });
});
