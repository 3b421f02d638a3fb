/**
 * Ports the query service needs beyond services/domain/ports.ts. They live here because only the
 * query service (and, later, the snapshotter feeding history) uses them.
 */
import type { InterestSnapshot } from '../core/events.js';
import type { InteractionEvent } from '../domain/types.js';

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

/** What the query service needs from the interaction producer: erasure requests and a health probe. */
export interface ErasurePublisher {
  publish(events: readonly InteractionEvent[]): Promise<unknown>;
}

/** The outcome of asking for one request's worth of quota. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Requests still allowed right now (0 when refused). */
  readonly remaining: number;
  /** When refused: how long until one request is allowed again. */
  readonly retryAfterMs: number;
}

/** Per-client request quota, shared by HTTP and gRPC so a client cannot double its rate by switching. */
export interface RateLimiter {
  take(client: string): Promise<RateDecision>;
}

/** A named readiness probe: resolves when the dependency answers, rejects otherwise. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
}
