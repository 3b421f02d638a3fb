import type { InteractionEvent, Watermark } from '../types.js';

/** What the query service needs from the interaction producer: an erasure request, and where the broker put it. */
export interface ErasurePublisher {
  publishAt(event: InteractionEvent): Promise<{ readonly event: InteractionEvent; readonly watermark: Watermark }>;
}

/** A user's erase marker: the position and event time of their latest erasure, nothing else. */
export interface EraseMarker {
  readonly userId: string;
  readonly watermark: Watermark;
  readonly at: number;
}

/** What `GET /v1/erasures/{id}` reports. */
export interface ErasureStatus {
  readonly erasureId: string;
  readonly status: 'pending' | 'complete';
  readonly requestedAt: number;
  /** When ingest (of the generation that finished it) folded the ERASE; null before. */
  readonly foldedAt: number | null;
  readonly completedAt: number | null;
}

/**
 * Erasure records (what `GET /v1/erasures/{id}` reports, for ERASURE_RECORD_TTL_MS) and per-user
 * erase markers (never expire: a user's older events stay erased). Shared by every generation.
 */
export interface Erasures {
  /** Opens the record of an erasure (pending); the user id stays in it only until it completes. */
  request(erasureId: string, userId: string, at: number): Promise<void>;
  /** Drops the record of an erasure whose ERASE could not be published (the caller retries with a new one). */
  forget(erasureId: string): Promise<void>;
  /** Records that ingest folded the erasure's ERASE (first time only); nothing for an erasure without a record. */
  folded(erasureId: string, at: number): Promise<void>;
  /** Records that every store is purged. */
  complete(erasureId: string, at: number): Promise<void>;
  /** The erasure's status; undefined when unknown (never asked for, or expired). */
  status(erasureId: string): Promise<ErasureStatus | undefined>;
  /** Sets (or moves forward, on its partition) the user's erase marker. */
  mark(m: EraseMarker): Promise<void>;
  /** The users' erase markers, by user id; users never erased are absent. */
  markers(userIds: readonly string[]): Promise<Map<string, EraseMarker>>;
}
