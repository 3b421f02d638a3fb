/** The vector store port: durable vectors with nearest-neighbour search, and the aliases generations switch. */
import type { Filter } from '../filter.js';

export type { Filter, FilterCondition, PayloadScalar } from '../filter.js';

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

/**
 * Named pointers to collections, which generations switch atomically (`users` -> `users_<gen>`).
 * Point operations and searches accept an alias wherever they accept a collection name.
 */
export interface VectorStoreAliases {
  setAlias(alias: string, collection: string): Promise<void>;
  resolveAlias(alias: string): Promise<string | undefined>;
}

export type AliasingVectorStore = VectorStore & VectorStoreAliases;
