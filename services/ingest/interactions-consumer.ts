import { SpanKind, type SpanOptions } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { consumerGroupId } from '../core/names.js';
import type { VectorStore } from '../domain/ports.js';
import type { UserState } from '../domain/types.js';
import type { BatchProcessor, RawRecord } from './batch-processor.js';
import { DurableWriter } from './durable-writer.js';
import type { IngestMetrics } from './metrics.js';
import { inSpan, linksFromHeaders } from '../core/tracing.js';

/**
 * How long the broker may hold an empty fetch. Data is returned as soon as it arrives whatever this
 * is; it bounds how long a shutdown waits for the fetch in flight.
 */
export const FETCH_WAIT_MS = 500;

/** Users waiting for their durable write beyond which a batch waits for it (bounded memory). */
const MAX_PENDING_USERS = 50_000;

export interface InteractionsConsumerDeps {
  readonly kafka: Kafka;
  readonly config: Config;
  readonly processor: (unflushed: (userIds: readonly string[]) => Map<string, UserState>) => BatchProcessor;
  readonly store: VectorStore;
  readonly usersCollection: string;
  readonly dimension: number;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
}

/**
 * The consumer group of a generation over the interactions topic. Each batch is folded into Redis
 * at once (what queries read); its users' durable write and the offset commit follow behind it in
 * the DurableWriter. Shutdown stops fetching, finishes the batch in flight, waits until everything
 * is durable and committed, and only then leaves the group.
 */
export class InteractionsConsumer {
  private consumer: Consumer | undefined;
  private writer: DurableWriter | undefined;
  private inFlight: Promise<void> | undefined;
  private stopping = false;
  private closed: Promise<void> | undefined;

  constructor(private readonly deps: InteractionsConsumerDeps) {}

  async start(from: 'earliest' | Date): Promise<void> {
    const { kafka, config, metrics } = this.deps;
    const consumer = kafka.consumer({ groupId: consumerGroupId(config.consumerGroup, config.generation), maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: FETCH_WAIT_MS });
    this.consumer = consumer;
    const writer = new DurableWriter({
      store: this.deps.store,
      usersCollection: this.deps.usersCollection,
      dimension: this.deps.dimension,
      maxPending: MAX_PENDING_USERS,
      logger: this.deps.logger,
      onFlush: (_users, ms) => metrics.durableWrites.observe(ms / 1000),
      commit: async (points) => {
        await consumer.commitOffsets(points.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
        for (const p of points) metrics.committedOffset.set({ topic: p.topic, partition: String(p.partition) }, Number(p.offset));
      },
    });
    this.writer = writer;
    const processor = this.deps.processor((ids) => writer.get(ids));
    await consumer.connect();
    await subscribeFrom(kafka, consumer, config, from);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => {
        if (this.stopping) return Promise.resolve();
        const p = this.handle(payload, processor, writer);
        this.inFlight = p;
        return p.finally(() => {
          if (this.inFlight === p) this.inFlight = undefined;
        });
      },
    });
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping = true;
      if (!this.consumer) return;
      this.consumer.pause([{ topic: this.deps.config.interactionsTopic }]);
      await this.inFlight?.catch(() => undefined);
      await this.writer?.drain();
      await this.consumer.disconnect();
    })();
    return this.closed;
  }

  private async handle(payload: EachBatchPayload, processor: BatchProcessor, writer: DurableWriter): Promise<void> {
    const { batch, isStale } = payload;
    if (batch.messages.length === 0 || isStale()) return;
    // One span per batch, linked to the producer spans whose traceparent the records carry.
    const options = (): SpanOptions => ({
      kind: SpanKind.CONSUMER,
      links: linksFromHeaders(batch.messages),
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': batch.topic, 'messaging.destination.partition.id': String(batch.partition), 'messaging.batch.message_count': batch.messages.length },
    });
    await inSpan('interactions fold batch', options, () => this.fold(payload, processor, writer));
  }

  private async fold(payload: EachBatchPayload, processor: BatchProcessor, writer: DurableWriter): Promise<void> {
    const { batch, resolveOffset, heartbeat } = payload;
    this.deps.metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    const records: RawRecord[] = batch.messages.map((m) => ({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers }));
    const result = await processor.process(batch.topic, records);
    // The states are in Redis now (durable writes follow): queries see these events from here on.
    // One observation per batch, of its oldest event (the first): the batch's worst case, at no
    // per-event cost on the hot path.
    this.deps.metrics.freshness.observe(Math.max(0, Date.now() - Number(batch.messages[0]!.timestamp)) / 1000);
    const last = batch.lastOffset();
    // Committed by the writer once these states are durable (the DLQ already holds its letters).
    await writer.add(result.states, { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() });
    resolveOffset(last);
    await heartbeat();
  }
}

/** A new consumer group starts at the earliest offset, or at the first offset at/after a time (replays). */
async function subscribeFrom(kafka: Kafka, consumer: Consumer, config: Config, from: 'earliest' | Date): Promise<void> {
  if (from !== 'earliest') {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const groupId = consumerGroupId(config.consumerGroup, config.generation);
      const committed = await admin.fetchOffsets({ groupId, topics: [config.interactionsTopic] });
      const fresh = committed.every((t) => t.partitions.every((p) => p.offset === '-1'));
      if (fresh) {
        const offsets = await admin.fetchTopicOffsetsByTimestamp(config.interactionsTopic, from.getTime());
        await admin.setOffsets({ groupId, topic: config.interactionsTopic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.offset })) });
      }
    } finally {
      await admin.disconnect();
    }
  }
  await consumer.subscribe({ topic: config.interactionsTopic, fromBeginning: true });
}
