import type { VectorPoint } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import type { Logger } from '../core/logger.js';
import { fromUserPoint } from '../core/user-record.js';
import type { IngestMetrics } from './metrics.js';

/** Where an undecodable state was found. */
export type StateSource = 'redis' | 'durable';

/** Called for each stored state that cannot be decoded (corrupt, or written by a newer format). */
export type CorruptStateReport = (source: StateSource, userId: string, error: unknown) => void;

/**
 * Counts (`interest_stream_ingest_corrupt_states_total`) and logs an undecodable stored state. The
 * partition goes on: a corrupt Redis state is replaced from the durable store, a corrupt durable
 * one by an empty state, so that one bad value costs one user's history, never a partition.
 */
export function corruptStateReporter(metrics: IngestMetrics, logger: Logger): CorruptStateReport {
  return (source, userId, error) => {
    metrics.corruptStates.inc({ source });
    const replacement = source === 'redis' ? 'reloading it from the durable store' : 'starting the user afresh';
    logger.error({ userId, source, err: error instanceof Error ? error.message : String(error) }, `stored user state cannot be decoded; ${replacement}`);
  };
}

/** Durable points decoded into states; undecodable ones are reported and left out (the user starts empty). */
export function decodeDurablePoints(points: ReadonlyMap<string, VectorPoint>, report?: CorruptStateReport): Map<string, UserState> {
  const out = new Map<string, UserState>();
  for (const [id, point] of points) {
    try {
      out.set(id, fromUserPoint(point));
    } catch (e) {
      if (!report) throw e;
      report('durable', id, e);
    }
  }
  return out;
}
