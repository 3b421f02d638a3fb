/**
 * BatchProcessor over in-memory ports: Redis-shaped user states, the vector store (items and the
 * generation's users collection), popularity, dirty marks, dead letters and erasures recorded.
 * Records are plain {partition, offset, key, value}, as the consumer adapter hands them.
 */
import type { DeadLetter } from '../../../services/domain/ports/index.js';
import { encodeInteraction } from '../../../services/core/events.js';
import { silentLogger } from '../../../services/core/logger.js';
import { USER_VERSION, toUserPoint } from '../../../services/core/user-record.js';
import type { InteractionEvent, UserState } from '../../../services/domain/types.js';
import { DEFAULT_FOLD_PARAMS } from '../../../services/domain/types.js';
import { BatchProcessor, type BatchDeps, type RawRecord } from '../../../services/ingest/batch-processor.js';
import type { FoldedErase } from '../../../services/ingest/erasure-finisher.js';
import { ItemVectors } from '../../../services/ingest/item-vectors.js';
import { createIngestMetrics, type IngestMetrics } from '../../../services/ingest/metrics.js';
import { InMemoryDirtyUsers } from '../../../services/adapters/memory/memory-dirty-users.js';
import { InMemoryPopularityStore } from '../../../services/adapters/memory/memory-popularity-store.js';
import { InMemoryUserStateStore } from '../../../services/adapters/memory/memory-user-state-store.js';
import { MemoryVectorStore } from '../../support/fakes/memory-vector-store.js';

export const DIM = 3;
export const TOPIC = 'interactions';
export const USERS = 'users_g1';
export const T0 = 1_700_000_000_000;

/** a, c, d, f: unit vectors (c = (.6, .8, 0)); w has the wrong dimension. */
export const ITEMS = new Map<string, Float32Array>([
  ['a', Float32Array.of(1, 0, 0)],
  ['c', Float32Array.of(0.6, 0.8, 0)],
  ['d', Float32Array.of(0, 1, 0)],
  ['f', Float32Array.of(0, 0, 1)],
]);

export type Ev = Omit<InteractionEvent, 'occurredAt' | 'weight'> & { occurredAt?: number; weight?: number };

/** An event with defaults: occurred at T0 + its offset, weight 1. */
export function ev(eventId: string, userId: string, type: InteractionEvent['type'], itemId = ''): Ev {
  return { eventId, userId, type, itemId };
}

/** The records of `events` at consecutive offsets from `first` on one partition. */
export function records(events: readonly Ev[], first = 0, partition = 0): RawRecord[] {
  return events.map((e, i) => record(e, first + i, partition));
}

export function record(e: Ev, offset: number, partition = 0): RawRecord {
  const event: InteractionEvent = { weight: 1, occurredAt: T0 + offset, ...e };
  return { partition, offset: String(offset), key: Buffer.from(e.userId), value: encodeInteraction(event) };
}

export interface BatchWorld {
  readonly processor: BatchProcessor;
  readonly states: InMemoryUserStateStore;
  readonly store: MemoryVectorStore;
  readonly popularity: InMemoryPopularityStore;
  readonly metrics: IngestMetrics;
  readonly letters: DeadLetter[];
  /** Users marked for the snapshotter, as [userId, watermark], taken (cleared) as a snapshot run would. */
  takeDirty(): Promise<Array<[string, string]>>;
  readonly erases: FoldedErase[];
  /** Another processor on the same stores: a zombie consumer, or the next owner after a rebalance. */
  another(over?: Partial<BatchDeps>): BatchProcessor;
  process(rs: readonly RawRecord[]): ReturnType<BatchProcessor['process']>;
  /** Writes durable records into the users collection. */
  durable(...states: UserState[]): Promise<void>;
  redis(userId: string): Promise<UserState | undefined>;
  /** A counter's total over its labels. */
  count(metric: keyof IngestMetrics, labels?: Record<string, string>): Promise<number>;
}

export async function batchWorld(over: Partial<BatchDeps> = {}): Promise<BatchWorld> {
  const store = new MemoryVectorStore();
  await store.ensureCollection('items', DIM);
  await store.upsert('items', [...ITEMS].map(([id, vector]) => ({ id, vector, payload: {} })));
  await store.upsert('items', [{ id: 'w', vector: Float32Array.of(1, 0), payload: {} }]);
  await store.ensureCollection(USERS, DIM);
  const states = new InMemoryUserStateStore();
  // A half-life of a million years: the scores of a test's views are their counts to 9 digits.
  const popularity = new InMemoryPopularityStore({ halfLifeMs: 3.2e16, clock: () => T0 });
  const metrics = createIngestMetrics({ defaultMetrics: false });
  const letters: DeadLetter[] = [];
  const dirty = new InMemoryDirtyUsers(1);
  const erases: FoldedErase[] = [];
  const deps = (more: Partial<BatchDeps>): BatchDeps => ({
    states,
    store,
    usersCollection: USERS,
    items: new ItemVectors(store, { collection: 'items', cacheSize: 100, ttlMs: 0, retries: 0, retryDelayMs: 0 }),
    popularity,
    params: { ...DEFAULT_FOLD_PARAMS, dimension: DIM },
    metrics,
    logger: silentLogger(),
    deadLetter: async (l) => void letters.push(...l),
    dirty,
    erasures: { finish: async (e) => void erases.push(...e) },
    ...over,
    ...more,
  });
  const processor = new BatchProcessor(deps({}));
  return {
    processor,
    states,
    store,
    popularity,
    metrics,
    letters,
    erases,
    takeDirty: async () => {
      const { entries } = await dirty.scan(0, '0', 1000);
      await dirty.clear(0, entries);
      return entries.map((e) => [e.userId, e.mark]);
    },
    another: (more = {}) => new BatchProcessor(deps(more)),
    process: (rs) => processor.process(TOPIC, rs),
    durable: async (...users) => void (await store.upsertIfNewer(USERS, users.map((s) => toUserPoint(s, DIM, 0)), USER_VERSION)),
    redis: async (userId) => (await states.getMany([userId])).get(userId),
    count: async (metric, labels = {}) => {
      const values = (await (metrics[metric] as { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }).get()).values;
      return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
    },
  };
}
