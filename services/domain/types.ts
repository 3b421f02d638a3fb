/** Types shared by the fold, the strategies and the adapters. Plain data; no I/O. */
import type { Interest, MultiInterestParams } from './multi-interest.js';

export type EventType = 'VIEW' | 'DISLIKE' | 'ERASE' | 'UNKNOWN';

/** One user interaction, as decoded from the `interactions` topic. */
export interface InteractionEvent {
  readonly eventId: string;
  readonly userId: string;
  /** Empty for ERASE. */
  readonly itemId: string;
  readonly type: EventType;
  /** Epoch milliseconds. */
  readonly occurredAt: number;
  /** Scales alpha (VIEW) or beta (DISLIKE). Default 1. */
  readonly weight: number;
}

/**
 * Position of the last event applied to a user's state. Kafka offsets are int64, so they travel as
 * decimal strings and are compared with BigInt.
 */
export interface Watermark {
  readonly partition: number;
  readonly offset: string;
}

/** Everything ingest keeps per user. Redis caches it; the vector store's users collection holds it durably. */
export interface UserState {
  readonly userId: string;
  /** Unit-length interest vector; null before the first view and after ERASE. */
  readonly vector: Float32Array | null;
  /** Up to MULTI_INTERESTS interest vectors (strategy=multi), in the order they were opened; empty after ERASE. */
  readonly interests: readonly Interest[];
  /** Last N viewed item ids, oldest first. */
  readonly recentViews: readonly string[];
  /** Recently seen item ids (capped), oldest first, for exclusion. */
  readonly seen: readonly string[];
  /** Disliked item ids (capped), oldest first, for exclusion. */
  readonly disliked: readonly string[];
  /**
   * 64-bit hashes of the last `dedupeWindow` event ids, oldest first, as 16-hex-digit strings.
   * A redelivered event is recognised here even when its offset cannot be compared (a different partition).
   */
  readonly recentEventIds: readonly string[];
  /** Events applied (duplicates never counted). */
  readonly eventCount: number;
  /** occurredAt of the last applied event (epoch ms), 0 when none. */
  readonly lastEventAt: number;
  /** Views whose update would have collapsed the vector to ~0 and were therefore not applied to it. */
  readonly degenerateUpdates: number;
  /** True after ERASE: the state is a tombstone that remembers only the watermark. */
  readonly erased: boolean;
  readonly watermark: Watermark | null;
}

/** Fold parameters: FOLD_ALPHA, FOLD_BETA, RECENT_VIEWS… (documented where core/config.ts reads them). */
export interface FoldParams {
  readonly alpha: number;
  readonly beta: number;
  readonly recentViews: number;
  readonly seenCap: number;
  readonly dislikedCap: number;
  readonly dedupeWindow: number;
  readonly dimension: number;
  /** Multi-interest upkeep; absent: the state's interests are left as they are (a fresh user gets none). */
  readonly multi?: MultiInterestParams;
}

export const DEFAULT_FOLD_PARAMS: Omit<FoldParams, 'dimension'> = Object.freeze({
  alpha: 0.2,
  beta: 0.5,
  recentViews: 10,
  seenCap: 500,
  dislikedCap: 500,
  dedupeWindow: 1000,
});

/** A user's interest vector at one snapshot interval; (userId, window) identifies it. */
export interface InterestSnapshot {
  readonly userId: string;
  readonly vector: Float32Array;
  readonly takenAt: number;
  readonly eventCount: number;
  readonly watermarkPartition: number;
  /** Decimal int64 string. */
  readonly watermarkOffset: string;
  readonly generation: string;
  readonly window: number;
}
