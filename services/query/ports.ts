/**
 * Ports the query service needs beyond services/domain/ports.ts. They live here because only the
 * query service (and, later, the snapshotter feeding history) uses them.
 */
import type { InterestSnapshot } from '../core/events.js';
import type { InteractionEvent, Watermark } from '../domain/types.js';

export type { InterestSnapshot } from '../core/events.js';

/** A user's recent interest snapshots (the `trend` strategy reads them). */
export interface HistoryStore {
  /**
   * Keeps the snapshot among the user's last H (by window). Idempotent per (userId, window): a
   * redelivered snapshot replaces the one of the same window instead of adding a second.
   */
  append(snapshot: InterestSnapshot): Promise<void>;
  /** The user's newest `n` snapshots, oldest first; empty for an unknown user. */
  recent(userId: string, n: number): Promise<InterestSnapshot[]>;
  /** Forgets the user's history; resolves to how many snapshots were removed. */
  delete(userId: string): Promise<number>;
}

/** What the query service needs from the interaction producer: an erasure request, and where the broker put it. */
export interface ErasurePublisher {
  publishAt(event: InteractionEvent): Promise<{ readonly event: InteractionEvent; readonly watermark: Watermark }>;
}

export type { RateDecision, RateLimiter } from '../domain/ports.js';

/** A named readiness probe: resolves when the dependency answers, rejects otherwise. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
}
