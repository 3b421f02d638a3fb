import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counter, defineAll, gauge, histogram, type Define } from '../core/metrics.js';

/** What operators watch on a snapshotter (docs/deployment.md, Monitoring). */
export interface SnapshotterMetrics {
  /** Records committed to the history topic: `snapshot`, or `erase` (a marker an erasure queued in the user's claim). */
  readonly records: Counter<'kind'>;
  readonly users: Counter<'outcome'>;
  readonly shardRuns: Counter<'end'>;
  readonly shardRunSeconds: Histogram;
  readonly leasesHeld: Gauge;
  readonly backlogSeconds: Gauge;
  readonly errors: Counter<'stage' | 'code'>;
}

/** What operators watch on a history fold. */
export interface HistoryFoldMetrics {
  readonly records: Counter<'kind'>;
  readonly deadLetters: Counter<'reason'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly batchSeconds: Histogram;
}

/** How a shard run ended, as the `end` label says it (`failed`: it threw). */
export type ShardRunLabel = 'complete' | 'stopped' | 'lease_lost' | 'failed';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const SNAPSHOTTER: { [K in keyof SnapshotterMetrics]: Define<SnapshotterMetrics[K]> } = {
  records: counter('interest_stream_snapshotter_records_total', 'Records this instance committed to the history topic, by kind (snapshot, erase)', ['kind']),
  users: counter(
    'interest_stream_snapshotter_users_total',
    'Dirty users a shard run looked at, by outcome (snapshotted, unchanged, window_open, already_snapshotted, nothing_to_snapshot, kept_moving)',
    ['outcome'],
  ),
  shardRuns: counter('interest_stream_snapshotter_shard_runs_total', 'Shard runs of this instance, by how they ended (complete, stopped, lease_lost, failed)', ['end']),
  shardRunSeconds: histogram('interest_stream_snapshotter_shard_run_seconds', 'Time of one shard run, from opening its writer until it completed, stopped, lost its lease or failed', SECONDS),
  leasesHeld: gauge('interest_stream_snapshotter_leases_held', 'Shard leases this instance holds right now'),
  backlogSeconds: gauge(
    'interest_stream_snapshotter_backlog_seconds',
    'After each pass: how long the oldest closed window some shard has not completed has been due (0: every shard is up to date; counted from this process start at most)',
  ),
  errors: counter('interest_stream_snapshotter_errors_total', 'Failures by stage (pass: the pass stopped and retries next tick; lease_release: the lease expires instead) and error code', ['stage', 'code']),
};

const HISTORY_FOLD: { [K in keyof HistoryFoldMetrics]: Define<HistoryFoldMetrics[K]> } = {
  records: counter(
    'interest_stream_history_fold_records_total',
    'History-topic records folded, by kind (snapshot, erase, compaction, other_generation: skipped)',
    ['kind'],
  ),
  deadLetters: counter('interest_stream_history_fold_dead_letters_total', 'History-topic records sent to its dead-letter topic, by reason (error code)', ['reason']),
  lag: gauge('interest_stream_history_fold_consumer_lag', 'Records behind the partition high watermark when the last batch was fetched', ['topic', 'partition']),
  batchSeconds: histogram('interest_stream_history_fold_batch_seconds', 'Time to fold one batch into Redis, dead-letter and commit it', SECONDS),
};

export function createSnapshotterMetrics(registry: Registry): SnapshotterMetrics {
  return defineAll<SnapshotterMetrics>(registry, SNAPSHOTTER);
}

export function createHistoryFoldMetrics(registry: Registry): HistoryFoldMetrics {
  return defineAll<HistoryFoldMetrics>(registry, HISTORY_FOLD);
}
