import type { Config } from '../core/config.js';
import { toInterestStreamError } from '../domain/errors.js';
import { decodeItemUpsert } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { consumerGroupId } from '../core/names.js';
import type { DeadLetter, VectorPoint, VectorStore } from '../domain/ports/index.js';
import { normalize } from '../domain/vector.js';
import type { DeadLetterPublisher } from '../adapters/kafka/dead-letters.js';
import type { ItemVectors } from './item-vectors.js';
import { BatchConsumer, type KafkaConnection } from '../adapters/kafka/batch-consumer.js';
import type { RecordBatch } from '../domain/log-records.js';

/** What the items consumer reads of the configuration. */
export type ItemsConsumerSettings = Pick<Config, 'consumerGroup' | 'generation' | 'itemsTopic' | 'itemsCollection' | 'kafkaSessionTimeoutMs'>;

/**
 * Applies live catalogue updates from the `items` topic to the items collection (upsert, or delete
 * when the vector is null). Vectors are stored unit length, as the import does. Bad messages go to
 * `items.dlq`. Other ingest processes see the change once their item cache entry expires
 * (ITEM_CACHE_TTL_MS); this one forgets it at once.
 */
export class ItemsConsumer {
  private consumer: BatchConsumer | undefined;

  constructor(
    private readonly deps: {
      kafka: KafkaConnection;
      config: ItemsConsumerSettings;
      store: VectorStore;
      items: ItemVectors;
      dimension: number;
      deadLetters: DeadLetterPublisher;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { kafka, config, logger } = this.deps;
    const groupId = consumerGroupId(`${config.consumerGroup}-items`, config.generation);
    this.consumer = new BatchConsumer(kafka, { groupId, topic: config.itemsTopic, maxWaitTimeInMs: 500, sessionTimeoutMs: config.kafkaSessionTimeoutMs, commits: 'auto', logger });
    await this.consumer.start((batch) => this.apply(batch));
  }

  close(): Promise<void> {
    return this.consumer?.close() ?? Promise.resolve();
  }

  private async apply(batch: RecordBatch): Promise<void> {
    // The last message for an id wins, whether it upserts or deletes.
    const last = new Map<string, VectorPoint | null>();
    const dead: DeadLetter[] = [];
    for (const m of batch.records) {
      try {
        if (m.value === null) throw new Error('message has no value');
        const item = decodeItemUpsert(m.value, this.deps.dimension);
        this.deps.items.invalidate(item.itemId);
        last.delete(item.itemId);
        last.set(item.itemId, item.vector === null ? null : { id: item.itemId, vector: normalize(item.vector) ?? item.vector, payload: item.payload });
      } catch (e) {
        const error = toInterestStreamError(e, 'DECODE_FAILED');
        dead.push({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers, error });
      }
    }
    const upserts = [...last.values()].filter((p): p is VectorPoint => p !== null);
    const toDelete = [...last].filter(([, p]) => p === null).map(([id]) => id);
    if (upserts.length > 0) await this.deps.store.upsert(this.deps.config.itemsCollection, upserts);
    if (toDelete.length > 0) await this.deps.store.delete(this.deps.config.itemsCollection, toDelete);
    await this.deps.deadLetters.send(dead);
    if (upserts.length + toDelete.length > 0) this.deps.logger.info({ upserts: upserts.length, deletes: toDelete.length }, 'catalogue updated');
  }
}
