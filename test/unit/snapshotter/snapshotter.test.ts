/**
 * The snapshotter's scheduler and shard runs on in-memory ports (no Kafka, no Redis): what reaches
 * the history log per pass, what stays dirty, and what a failed transaction or a second instance
 * changes. The same fakes pass the Redis adapters' contract suites (test/contracts).
 */
import { Registry, type Counter, type Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/core/logger.js';
import { decodeSnapshot } from '../../../services/core/events.js';
import { emptyUserState } from '../../../services/domain/fold.js';
import type { HistoryLog, HistoryMessage, ShardHistoryWriter } from '../../../services/domain/ports/index.js';
import type { UserState } from '../../../services/domain/types.js';
import { InMemoryDirtyUsers } from '../../../services/adapters/memory/memory-dirty-users.js';
import { InMemoryLeaseTable, InMemoryShardLeases } from '../../../services/adapters/memory/memory-shard-leases.js';
import { InMemorySnapshotClaims } from '../../../services/adapters/memory/memory-snapshot-claims.js';
import { InMemoryUserStateStore } from '../../../services/adapters/memory/memory-user-state-store.js';
import { Snapshotter } from '../../../services/snapshotter/snapshotter.js';
import { createSnapshotterMetrics, type SnapshotterMetrics } from '../../../services/snapshotter/metrics.js';

const INTERVAL = 1000;
const SHARDS = 4;

/** A history log that keeps committed transactions, can fail the next commits, and fences like Kafka. */
class RecordingHistoryLog implements HistoryLog {
  readonly committed: HistoryMessage[][] = [];
  failNext = 0;
  private readonly epochs = new Map<number, number>();

  async openShard(shard: number): Promise<ShardHistoryWriter> {
    const epoch = (this.epochs.get(shard) ?? 0) + 1;
    this.epochs.set(shard, epoch);
    return {
      commit: async (messages) => {
        if (this.epochs.get(shard) !== epoch) throw new Error(`fenced: shard ${shard} has a newer writer`);
        if (messages.length === 0) return;
        if (this.failNext > 0) {
          this.failNext--;
          throw new Error('transaction aborted');
        }
        this.committed.push([...messages]);
      },
      close: async () => undefined,
    };
  }

  /** Every non-null record committed, as (userId, window) pairs, sorted. */
  snapshots(): string[] {
    return this.committed
      .flat()
      .filter((m) => m.value !== null)
      .map((m) => {
        const s = decodeSnapshot(m.value!);
        return `${s.userId}@${s.window}`;
      })
      .sort();
  }
}

function world(now: { t: number }) {
  const states = new InMemoryUserStateStore();
  const dirty = new InMemoryDirtyUsers(SHARDS);
  const claims = new InMemorySnapshotClaims((id) => states.watermarkOf(id));
  const table = new InMemoryLeaseTable(() => now.t);
  const history = new RecordingHistoryLog();
  let offset = 0;
  const snapshotter = (token: string, metrics: SnapshotterMetrics = createSnapshotterMetrics(new Registry())) =>
    new Snapshotter({
      history,
      shards: SHARDS,
      intervalMs: INTERVAL,
      latenessMs: 0,
      logger: silentLogger(),
      run: {
        dirty,
        states,
        claims,
        leases: new InMemoryShardLeases(table, token, 30_000),
        generation: 'g1',
        intervalMs: INTERVAL,
        slots: 20,
        batchSize: 2,
        now: () => now.t,
        logger: silentLogger(),
        metrics,
      },
    });
  /** One more event for the user at `at` (as ingest writes it), marked dirty. */
  const event = async (userId: string, at: number): Promise<void> => {
    const before = (await states.getMany([userId])).get(userId);
    const state: UserState = {
      ...(before ?? emptyUserState(userId)),
      vector: Float32Array.of(0.6, 0.8),
      eventCount: (before?.eventCount ?? 0) + 1,
      lastEventAt: at,
      watermark: { partition: 0, offset: String(++offset) },
    };
    expect((await states.casMany([{ state, expected: before?.watermark ?? null }]))[0]!.ok).toBe(true);
    await dirty.mark([{ userId, watermark: state.watermark }]);
  };
  return { states, dirty, history, snapshotter, event };
}

async function dirtyCount(dirty: InMemoryDirtyUsers): Promise<number> {
  let n = 0;
  for (let shard = 0; shard < SHARDS; shard++) n += (await dirty.scan(shard, '0', 1000)).entries.length;
  return n;
}

describe('Snapshotter on in-memory ports', () => {
  it('sends one snapshot per user whose window closed, defers the open window, and sends nothing twice', async () => {
    const now = { t: 12_500 };
    const w = world(now);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await w.event(id, 10_200);
    await w.event('late', 12_100); // window 12: still open at 12.5 s
    const s = w.snapshotter('one');

    const first = await s.pass();
    expect(first).toMatchObject({ window: 12, sent: 5, deferred: 1 });
    expect(w.history.snapshots()).toEqual(['a@10', 'b@10', 'c@10', 'd@10', 'e@10']);
    expect(await dirtyCount(w.dirty)).toBe(1);

    // Same window again: every shard is done for it, nothing is sent twice.
    expect(await s.pass()).toMatchObject({ sent: 0, shards: 0 });
    // Window 12 closes: only the late user is sent.
    now.t = 13_000;
    expect(await s.pass()).toMatchObject({ window: 13, sent: 1, shards: SHARDS });
    expect(w.history.snapshots()).toEqual(['a@10', 'b@10', 'c@10', 'd@10', 'e@10', 'late@12']);
    expect(await dirtyCount(w.dirty)).toBe(0);
  });

  it('keeps users dirty when a transaction aborts, and the next pass sends each of them exactly once', async () => {
    const now = { t: 12_500 };
    const w = world(now);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) await w.event(id, 10_200);
    w.history.failNext = 1;
    await expect(w.snapshotter('one').pass()).rejects.toThrow('transaction aborted');
    expect(await dirtyCount(w.dirty)).toBeGreaterThan(0);

    // Another instance picks the shards up (the failed one released its lease).
    await w.snapshotter('two').pass();
    expect(w.history.snapshots()).toEqual(['a@10', 'b@10', 'c@10', 'd@10', 'e@10', 'f@10']);
    expect(await dirtyCount(w.dirty)).toBe(0);
  });

  it('snapshots a user again after a newer event in a later window, and reports an unchanged one as unchanged', async () => {
    const now = { t: 11_500 };
    const w = world(now);
    await w.event('a', 10_100);
    await w.event('b', 10_100);
    const s = w.snapshotter('one');
    expect(await s.pass()).toMatchObject({ sent: 2 });
    await w.event('a', 11_700);
    await w.dirty.mark([{ userId: 'b', watermark: (await w.states.getMany(['b'])).get('b')!.watermark }]);
    now.t = 12_000;
    expect(await s.pass()).toMatchObject({ window: 12, sent: 1, unchanged: 1 });
    expect(w.history.snapshots()).toEqual(['a@10', 'a@11', 'b@10']);
  });
});

/** A metric's values keyed by their label values joined with commas ('' for a metric without labels). */
async function values(metric: Counter<string> | Gauge<string>): Promise<Record<string, number>> {
  const { values } = await metric.get();
  return Object.fromEntries(values.map((v) => [Object.values(v.labels).join(','), v.value]));
}

describe('Snapshotter metrics', () => {
  it('count each dirty user by outcome, the records sent, and every shard run by how it ended', async () => {
    const now = { t: 12_500 };
    const w = world(now);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await w.event(id, 10_200);
    await w.event('late', 12_100);
    const metrics = createSnapshotterMetrics(new Registry());
    const s = w.snapshotter('one', metrics);

    await s.pass();
    expect(await values(metrics.users)).toEqual({ snapshotted: 5, window_open: 1 });
    expect(await values(metrics.records)).toEqual({ snapshot: 5 });
    expect(await values(metrics.shardRuns)).toEqual({ complete: SHARDS });
    expect((await metrics.shardRunSeconds.get()).values.find((v) => v.metricName === 'interest_stream_snapshotter_shard_run_seconds_count')?.value).toBe(SHARDS);
    expect(await values(metrics.leasesHeld)).toEqual({ '': 0 });

    // The late user's window closes; 'a' is marked again without a change.
    await w.dirty.mark([{ userId: 'a', watermark: (await w.states.getMany(['a'])).get('a')!.watermark }]);
    now.t = 13_000;
    await s.pass();
    expect(await values(metrics.users)).toEqual({ snapshotted: 6, window_open: 1, unchanged: 1 });
    expect(await values(metrics.records)).toEqual({ snapshot: 6 });
    expect(await values(metrics.shardRuns)).toEqual({ complete: 2 * SHARDS });
  });

  it('count a shard run whose transaction aborts as failed and give its lease back', async () => {
    const now = { t: 12_500 };
    const w = world(now);
    await w.event('a', 10_200);
    w.history.failNext = 1;
    const metrics = createSnapshotterMetrics(new Registry());
    await expect(w.snapshotter('one', metrics).pass()).rejects.toThrow('transaction aborted');
    expect((await values(metrics.shardRuns)).failed).toBe(1);
    expect(await values(metrics.records)).toEqual({});
    expect(await values(metrics.users)).toEqual({});
    expect(await values(metrics.leasesHeld)).toEqual({ '': 0 });
  });

  it('report as backlog how long the oldest closed window a shard has not completed has been due, also while passes fail', async () => {
    const now = { t: 12_500 };
    const w = world(now);
    await w.event('a', 10_200);
    const metrics = createSnapshotterMetrics(new Registry());
    const s = w.snapshotter('one', metrics);
    await s.pass();
    expect(await values(metrics.backlogSeconds)).toEqual({ '': 0 });

    // Window 12 closed at 13 s; at 14.3 s the shard of 'a' (changed in window 12) fails, so it stays due since 13 s.
    await w.event('a', 12_600);
    now.t = 14_300;
    w.history.failNext = 1;
    await expect(s.pass()).rejects.toThrow('transaction aborted');
    expect(await values(metrics.backlogSeconds)).toEqual({ '': 1.3 });

    now.t = 14_500;
    expect(await s.pass()).toMatchObject({ window: 14, sent: 1 });
    expect(await values(metrics.backlogSeconds)).toEqual({ '': 0 });
  });
});
