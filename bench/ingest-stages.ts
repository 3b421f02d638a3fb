/**
 * Where ingest's time goes, stage by stage: the same BatchProcessor, in this process, fed the same
 * events as Kafka-sized batches (no broker), with every port call timed. Comparing its rate with
 * the real consumer's shows what Kafka (fetch, decode in kafkajs, commit) costs; the stage shares
 * show what batching leaves. The snapshotter's dirty-user mark is not wired here.
 */
import type { Redis } from 'ioredis';
import { encodeInteraction } from '../services/core/events.js';
import { silentLogger } from '../services/core/logger.js';
import { RedisKeys } from '../services/core/names.js';
import type { VectorStore } from '../services/domain/ports/index.js';
import type { FoldParams } from '../services/domain/types.js';
import { RedisPopularityStore } from '../services/adapters/redis/redis-popularity-store.js';
import { RedisUserStateStore } from '../services/adapters/redis/redis-user-state-store.js';
import { BatchProcessor, type RawRecord } from '../services/ingest/batch-processor.js';
import { ItemVectors } from '../services/ingest/item-vectors.js';
import { createIngestMetrics } from '../services/ingest/metrics.js';
import type { GeneratedEvent } from '../services/workload/activity.js';
import { round } from './report.js';

/** Wall milliseconds spent inside each method of `target`, summed into `acc` under `label.method`. */
function timed<T extends object>(target: T, label: string, acc: Map<string, number>): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await (value as (...a: unknown[]) => unknown).apply(obj, args);
        } finally {
          const key = `${label}.${String(prop)}`;
          acc.set(key, (acc.get(key) ?? 0) + performance.now() - t);
        }
      };
    },
  });
}

function partitionOf(userId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (Math.imul(h, 31) + userId.charCodeAt(i)) >>> 0;
  return h % partitions;
}

/** The events as one batch per partition, as a catch-up fetch of 4 MiB per partition delivers them. */
function batches(events: Iterable<GeneratedEvent>, partitions: number, maxBatch: number): RawRecord[][] {
  const byPartition = Array.from({ length: partitions }, () => [] as RawRecord[]);
  for (const e of events) {
    const p = partitionOf(e.userId, partitions);
    const list = byPartition[p]!;
    list.push({ partition: p, offset: String(list.length), key: Buffer.from(e.userId), value: encodeInteraction(e) });
  }
  const out: RawRecord[][] = [];
  for (const list of byPartition) for (let i = 0; i < list.length; i += maxBatch) out.push(list.slice(i, i + maxBatch));
  return out;
}

export interface StageBreakdown {
  readonly eventsPerSecond: number;
  readonly batches: number;
  /** Share of the wall time per stage, in percent; `fold and the rest` is what no port call covers. */
  readonly shares: Record<string, number>;
}

export async function ingestStages(opts: {
  redis: Redis;
  root: string;
  store: VectorStore;
  events: Iterable<GeneratedEvent>;
  params: FoldParams;
  maxBatch: number;
}): Promise<StageBreakdown> {
  const acc = new Map<string, number>();
  const keys = new RedisKeys(opts.root, 'g1');
  const store = timed(opts.store, 'vectorStore', acc);
  const users = 'users_stages';
  await opts.store.ensureCollection(users, opts.params.dimension);
  const items = new ItemVectors(opts.store, { cacheSize: 50_000, ttlMs: 60_000, retries: 0, retryDelayMs: 0 });
  const processor = new BatchProcessor({
    states: timed(new RedisUserStateStore(opts.redis, keys), 'redis.state', acc),
    store,
    usersCollection: users,
    items: timed(items, 'items', acc),
    popularity: timed(new RedisPopularityStore(opts.redis, keys, { halfLifeMs: 86_400_000 }), 'redis.popularity', acc),
    params: opts.params,
    metrics: createIngestMetrics({ defaultMetrics: false }),
    logger: silentLogger(),
    deadLetter: async () => {},
  });
  const all = batches(opts.events, 6, opts.maxBatch);
  const total = all.reduce((s, b) => s + b.length, 0);
  const started = performance.now();
  for (const b of all) await processor.process('bench', b);
  const wall = performance.now() - started;
  const covered = [...acc.values()].reduce((a, b) => a + b, 0);
  const shares: Record<string, number> = {};
  for (const [k, ms] of [...acc].sort((a, b) => b[1] - a[1])) shares[k] = round((100 * ms) / wall, 1);
  shares['fold and the rest (JS)'] = round((100 * (wall - covered)) / wall, 1);
  return { eventsPerSecond: total / (wall / 1000), batches: all.length, shares };
}

export function describeStages(label: string, s: StageBreakdown): string {
  const parts = Object.entries(s.shares).map(([k, v]) => `${k} ${v}%`);
  return `stages of ${label} (in-process, no Kafka, ${s.batches} batches): ${Math.round(s.eventsPerSecond)} events/s; wall time: ${parts.join(', ')}`;
}
