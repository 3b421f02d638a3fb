import type { Reader } from './reader.js';

/** Interest history (docs/history.md): the snapshot windows, how many are kept, and how the snapshotters share the work. */
export interface HistorySettings {
  /** TREND_WINDOW: snapshots per half (W) of the `trend` strategy; it reads the last 2W. Default 3. */
  readonly trendWindow: number;
  /** HISTORY_SIZE: interest snapshots kept per user (at least 2 × TREND_WINDOW). Default 20. */
  readonly historySize: number;
  /**
   * SNAPSHOT_INTERVAL_MS: length of a snapshot window, in event time: a user's snapshot of window w
   * is their state after their last event stamped (occurredAt) inside w, so a replay rebuilds the same
   * history. Default 3600000 (one hour); from 100 ms, for tests.
   */
  readonly snapshotIntervalMs: number;
  /**
   * SNAPSHOT_LATENESS_MS: how long after a window ends events stamped inside it may still arrive;
   * a window is snapshotted only once it is this far in the past. Default 60000 (capped below the
   * interval).
   */
  readonly snapshotLatenessMs: number;
  /** DIRTY_SHARDS: shards of the changed-users sets the snapshotters split between them (increase only). Default 16. */
  readonly dirtyShards: number;
  /**
   * SNAPSHOT_LEASE_MS: how long a snapshotter holds a shard without renewing it; after a crash the
   * shard resumes on another instance this long after the last renewal. Default 30000.
   */
  readonly snapshotLeaseMs: number;
  /**
   * SNAPSHOTTER_METRICS_PORT: port of the `snapshotter` process' /metrics and /healthz, for the
   * snapshotter's and the history fold's metrics (docs/deployment.md, Monitoring); 0 picks a free
   * port. Default 9465, beside ingest's 9464, so both run on one host.
   */
  readonly snapshotterMetricsPort: number;
}

export function readHistorySettings(r: Reader): HistorySettings {
  const snapshotIntervalMs = r.int('SNAPSHOT_INTERVAL_MS', 3_600_000, 100);
  const trendWindow = r.int('TREND_WINDOW', 3, 1, 1000);
  const historySize = r.int('HISTORY_SIZE', 20, 2, 10_000);
  if (historySize < 2 * trendWindow) r.problems.push(`HISTORY_SIZE=${historySize}: must be at least 2 × TREND_WINDOW (${2 * trendWindow})`);
  return {
    trendWindow,
    historySize,
    snapshotIntervalMs,
    snapshotLatenessMs: Math.min(r.int('SNAPSHOT_LATENESS_MS', 60_000, 0), snapshotIntervalMs - 1),
    dirtyShards: r.int('DIRTY_SHARDS', 16, 1, 4096),
    snapshotLeaseMs: r.int('SNAPSHOT_LEASE_MS', 30_000, 100),
    snapshotterMetricsPort: r.int('SNAPSHOTTER_METRICS_PORT', 9465, 0, 65_535),
  };
}
