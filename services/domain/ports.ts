/**
 * Ports: what the use cases need from the outside world, named by role. Adapters (by technology)
 * live in services/adapters and each port has one conformance suite in test/contracts.
 */
import type { UserState, Watermark } from './types.js';

/** A payload value the filter language can match. */
export type PayloadScalar = string | number | boolean;

/**
 * The filter language over item payloads (documented in docs/filters.md). All conditions must hold.
 * - `{ key, eq }`: payload[key] equals the value.
 * - `{ key, in }`: payload[key] equals one of the values.
 * - `{ key, range }`: payload[key] is a number within the bounds given.
 */
export type FilterCondition =
  | { readonly key: string; readonly eq: PayloadScalar }
  | { readonly key: string; readonly in: readonly PayloadScalar[] }
  | { readonly key: string; readonly range: { readonly gt?: number; readonly gte?: number; readonly lt?: number; readonly lte?: number } };

export interface Filter {
  readonly must: readonly FilterCondition[];
}

export interface VectorPoint {
  readonly id: string;
  readonly vector: Float32Array;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface SearchHit {
  readonly id: string;
  /** Cosine similarity in [-1, 1]; higher is closer. */
  readonly score: number;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface SearchRequest {
  readonly vector: Float32Array;
  readonly limit: number;
  /** Ids never returned (already seen, disliked, the query item itself). */
  readonly excludeIds?: readonly string[];
  readonly filter?: Filter;
}

/** Durable vector storage with nearest-neighbour search (Qdrant in production, embedded LanceDB locally). */
export interface VectorStore {
  start(): Promise<void>;
  /** Idempotent: returns the same promise when called again. */
  close(): Promise<void>;
  /** Creates the collection (cosine distance) if missing; fails with DIMENSION_MISMATCH if it exists with another size. */
  ensureCollection(name: string, dimension: number): Promise<void>;
  /** The collection's vector size, or undefined when it does not exist. */
  collectionDimension(name: string): Promise<number | undefined>;
  dropCollection(name: string): Promise<void>;
  /** Inserts or replaces points by id, atomically per call where the engine allows. */
  upsert(collection: string, points: readonly VectorPoint[]): Promise<void>;
  /** The points found, by id; missing ids are absent from the map. */
  get(collection: string, ids: readonly string[]): Promise<Map<string, VectorPoint>>;
  delete(collection: string, ids: readonly string[]): Promise<void>;
  /** Nearest neighbours by cosine similarity, best first, never more than `limit`. */
  search(collection: string, request: SearchRequest): Promise<SearchHit[]>;
  count(collection: string): Promise<number>;
  /**
   * Compare-and-set per point on a version kept in two numeric payload keys: a point replaces the
   * stored one unless that one has the same `stream` value and a greater `position` (an equal one is
   * rewritten, so a redelivered write is idempotent); a missing point is inserted. A point that loses
   * is left as stored and counted in `stale`, never an error. Atomic per point across processes.
   */
  upsertIfNewer(collection: string, points: readonly VectorPoint[], version: VersionKeys): Promise<ConditionalUpsert>;
}

/** The payload keys holding a point's version: both finite numbers on every point written. */
export interface VersionKeys {
  /** Positions compare only within one stream (for user states: the Kafka partition). */
  readonly stream: string;
  /** Order within a stream (for user states: the offset of the last applied event). */
  readonly position: string;
}

export interface ConditionalUpsert {
  /** Points left untouched because the stored one was newer. */
  readonly stale: number;
}

/** Result of a compare-and-set write of one user's state. */
export type CasOutcome = { readonly ok: true } | { readonly ok: false; readonly current: Watermark | null };

export interface UserStateWrite {
  readonly state: UserState;
  /** The watermark the state was read at; the write succeeds only if the store still holds it. */
  readonly expected: Watermark | null;
}

/** Hot per-user state (Redis). */
export interface UserStateStore {
  start(): Promise<void>;
  close(): Promise<void>;
  /** States found, by user id; a missing user is absent (a miss, to rehydrate from the durable store). */
  getMany(userIds: readonly string[]): Promise<Map<string, UserState>>;
  /** Compare-and-set on the watermark, one outcome per write, in order. */
  casMany(writes: readonly UserStateWrite[]): Promise<CasOutcome[]>;
  /** Unconditional write (rehydration, erasure by the query service). */
  putMany(states: readonly UserState[]): Promise<void>;
  delete(userIds: readonly string[]): Promise<void>;
}

/** One view counted towards popularity (cold-start recommendations). */
export interface PopularityIncrement {
  readonly itemId: string;
  readonly weight: number;
  /** Epoch ms of the view; later views count more (exponential decay). */
  readonly at: number;
}

/** Time-decayed view counts per item, kept by ingest and read by the query service for cold start. */
export interface PopularityStore {
  record(increments: readonly PopularityIncrement[]): Promise<void>;
  /** Most popular items first, never returning an excluded id; scores are decayed counts as of `now`. */
  top(limit: number, options?: { excludeIds?: readonly string[]; now?: number }): Promise<Array<{ itemId: string; score: number }>>;
  /** Decayed counts as of `now` of the given items (0 for items never viewed), in order; for `strategy=hybrid`. */
  scores(itemIds: readonly string[], now?: number): Promise<number[]>;
  /** Forgets every count (tests, generation drops). */
  clear(): Promise<void>;
}

/** The outcome of asking for one request's worth of quota. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Requests still allowed right now (0 when refused). */
  readonly remaining: number;
  /** When refused: how long until one request is allowed again. */
  readonly retryAfterMs: number;
}

/**
 * Request quotas: one token bucket per `bucket` name holding up to `perMinute` tokens, refilled
 * continuously. The query service's HTTP and gRPC share it, so a client cannot double its rate by
 * switching transport, and so do its replicas (the Redis adapter).
 */
export interface RateLimiter {
  take(bucket: string, perMinute: number): Promise<RateDecision>;
}
