/**
 * The naive baseline: the same fold as ingest, but one event at a time — one Redis read, one
 * compare-and-set and one vector-store upsert per event — consuming the same topic. Item vectors
 * come from an in-memory map (cheaper than ingest's cached lookups), so the gap measured is the
 * per-event I/O alone.
 */
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { decodeInteraction } from '../services/core/events.js';
import type { RedisKeys } from '../services/core/names.js';
import { toUserPoint } from '../services/core/user-record.js';
import { emptyUserState, foldEvents } from '../services/domain/fold.js';
import type { VectorStore } from '../services/domain/ports/index.js';
import type { FoldParams } from '../services/domain/types.js';
import { RedisUserStateStore } from '../services/adapters/redis/redis-user-state-store.js';

export interface NaiveOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly store: VectorStore;
  readonly usersCollection: string;
  readonly items: ReadonlyMap<string, Float32Array>;
  readonly params: FoldParams;
  /** Stop after this long (from the first event) or after `total` events, whichever comes first. */
  readonly budgetMs: number;
  readonly total: number;
}

/** Events folded and the seconds they took, from the first event (consumer start-up excluded). */
export async function runNaiveIngest(opts: NaiveOptions): Promise<{ events: number; seconds: number }> {
  const states = new RedisUserStateStore(opts.redis, opts.keys);
  await opts.store.ensureCollection(opts.usersCollection, opts.params.dimension);
  const consumer = opts.kafka.consumer({ groupId: opts.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  let started = 0;
  let events = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  let done = false;
  await consumer.run({
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ partition, message }) => {
      if (done) return;
      if (started === 0) started = performance.now();
      const event = decodeInteraction(message.value!);
      const base = (await states.getMany([event.userId])).get(event.userId) ?? emptyUserState(event.userId);
      const item = opts.items.get(event.itemId) ?? null;
      const { state } = foldEvents(base, [{ event, item, watermark: { partition, offset: message.offset } }], opts.params);
      await states.casMany([{ state, expected: base.watermark }]);
      await opts.store.upsert(opts.usersCollection, [toUserPoint(state, opts.params.dimension)]);
      events++;
      if (events >= opts.total || performance.now() - started >= opts.budgetMs) {
        done = true;
        finish();
      }
    },
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return { events, seconds };
}
