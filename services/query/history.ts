/**
 * A user's interest history as the API and `interest-stream user show` present it: the snapshots
 * oldest first, the drift between their older and newer half, and the trend the `trend` strategy
 * uses right now. Both readers go through `readHistory`, so they cannot disagree.
 */
import { formatWatermark } from '../core/user-state-codec.js';
import { trendStrategy, type InterestSnapshot as HistoryPoint, type TrendResult } from '../domain/strategies.js';
import type { GenerationView } from './generation-views.js';
import type { InterestSnapshot } from '../domain/ports/index.js';

export interface SnapshotSummary {
  /** Event-time window: floor(occurredAt / SNAPSHOT_INTERVAL_MS). */
  readonly window: number;
  /** Epoch ms: the window's last millisecond. */
  readonly takenAt: number;
  readonly eventCount: number;
  /** `partition:offset` of the last event folded into the snapshot. */
  readonly watermark: string;
  /** Only when asked for. */
  readonly vector?: number[];
}

export interface TrendSummary {
  /** Snapshots the `trend` strategy reads (2W, fewer while the history is short). */
  readonly windowsUsed: number;
  readonly drift: number;
}

export interface UserHistory {
  readonly userId: string;
  /** The generation the history was read from. */
  readonly generation: string;
  /** Oldest first. */
  readonly snapshots: SnapshotSummary[];
  /** 1 − cos(older half, newer half) of `snapshots`; null with fewer than 2. */
  readonly drift: number | null;
  /** What `strategy=trend` uses now, whatever `limit` was; null when it falls back to `ema`. */
  readonly trend: TrendSummary | null;
}

export interface HistoryQuery {
  readonly userId: string;
  /** Newest snapshots to return, 1..HISTORY_SIZE. */
  readonly limit: number;
  readonly includeVector: boolean;
}

/**
 * The trend of the newest 2W snapshots (W = `trendWindow`, γ = `momentum`, default 1), as `strategy=trend` computes it; null
 * with fewer than 2 snapshots or when a half has no direction.
 */
export function currentTrend(snapshots: readonly HistoryPoint[], trendWindow: number, momentum?: number): TrendResult | null {
  return snapshots.length < 2 ? null : trendStrategy(snapshots.slice(-2 * trendWindow), trendWindow, momentum);
}

/**
 * Drift between the older and newer half of `snapshots` (time order), as `trendStrategy` computes
 * it with W = ⌊n/2⌋: with an odd count the oldest snapshot is left out. Null with fewer than 2.
 */
export function halvesDrift(snapshots: readonly HistoryPoint[]): number | null {
  return trendStrategy(snapshots, snapshots.length)?.drift ?? null;
}

function summarise(s: InterestSnapshot, includeVector: boolean): SnapshotSummary {
  const summary: SnapshotSummary = {
    window: s.window,
    takenAt: s.takenAt,
    eventCount: s.eventCount,
    watermark: formatWatermark({ partition: s.watermarkPartition, offset: s.watermarkOffset }),
  };
  return includeVector ? { ...summary, vector: Array.from(s.vector) } : summary;
}

/** Reads the user's history from one generation: one Redis LRANGE covering both `limit` and the trend. */
export async function readHistory(g: GenerationView, q: HistoryQuery, trendWindow: number): Promise<UserHistory> {
  const all = await g.history.recent(q.userId, Math.max(q.limit, 2 * trendWindow));
  const shown = all.slice(-q.limit);
  const trend = currentTrend(all, trendWindow);
  return {
    userId: q.userId,
    generation: g.name,
    snapshots: shown.map((s) => summarise(s, q.includeVector)),
    drift: halvesDrift(shown),
    trend: trend === null ? null : { windowsUsed: trend.used, drift: trend.drift },
  };
}
