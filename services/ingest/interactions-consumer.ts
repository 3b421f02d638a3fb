import { SpanKind, type SpanOptions } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { consumerGroupId } from '../core/names.js';
import type { VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import type { BatchProcessor, RawRecord } from './batch-processor.js';
import { DurableWriter, type CommitPoint } from './durable-writer.js';
import type { IngestMetrics } from './metrics.js';
import { PartitionOwnership } from './partition-ownership.js';
import { ParkingLot } from './parked-events.js';
import { murmur2Partition } from '../adapters/kafka/murmur2.js';
import { inSpan, linksFromHeaders } from '../core/tracing.js';
import { retryOnBrokerLoss } from '../adapters/kafka/broker-loss.js';
import type { RedisIngestProgress } from '../adapters/redis/redis-ingest-progress.js';

export interface InteractionsConsumerDeps {
  readonly kafka: Kafka;
  readonly config: Config;
  readonly processor: (unflushed: (userIds: readonly string[]) => Map<string, UserState>) => BatchProcessor;
  readonly store: VectorStore;
  readonly usersCollection: string;
  readonly dimension: number;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  /** Called after every group (re)join: trust in Redis states verified under the old assignment ends. */
  readonly onAssigned?: () => void;
  /** Events waiting for their catalogue item; the same lot the processor parks into. */
  readonly parking?: ParkingLot;
  /** Where the next offset to fold per partition is raised after each batch (read-your-writes); none when absent. */
  readonly progress?: Pick<RedisIngestProgress, 'advance'>;
}

/** How often parked events are checked for a due retry. */
const PARK_POLL_MS = 250;

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
  private pausedAt: number | undefined;
  /** Batches and parked retries run one at a time, so a user's events fold in order. */
  private lane: Promise<unknown> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  /** Next offset after the last batch handed to the writer, per topic:partition. */
  private readonly nextOffsets = new Map<string, bigint>();
  private readonly parking: ParkingLot;
  /** Partitions of the interactions topic when ingest started (for the misrouted-events count). */
  private partitions = 0;
  private closed: Promise<void> | undefined;

  constructor(private readonly deps: InteractionsConsumerDeps) {
    this.parking = deps.parking ?? new ParkingLot(0);
  }

  async start(from: 'earliest' | Date): Promise<void> {
    const { kafka, config, metrics } = this.deps;
    const consumer = kafka.consumer({ groupId: consumerGroupId(config.consumerGroup, config.generation), maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: config.ingestFetchWaitMs });
    this.consumer = consumer;
    const ownership = new PartitionOwnership(consumer, this.deps.onAssigned);
    const writer = new DurableWriter({
      store: this.deps.store,
      usersCollection: this.deps.usersCollection,
      dimension: this.deps.dimension,
      maxPending: config.ingestMaxPendingUsers,
      maxPendingBytes: config.ingestMaxPendingBytes,
      chunks: { maxPoints: config.durableChunkPoints, maxBytes: config.durableChunkBytes },
      logger: this.deps.logger,
      onFlush: (_users, ms) => metrics.durableWrites.observe(ms / 1000),
      onStale: (count) => metrics.staleDurableWrites.inc(count),
      onHeld: (users, bytes) => {
        metrics.pendingStates.set(users);
        metrics.pendingBytes.set(bytes);
      },
      onPressure: (paused) => this.backPressure(paused),
      commit: async (all) => {
        const { keep: points, dropped } = ownership.keepOwned(all);
        if (dropped > 0) metrics.droppedCommits.inc(dropped);
        if (points.length === 0) return;
        await consumer.commitOffsets(points.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
        for (const p of points) metrics.committedOffset.set({ topic: p.topic, partition: String(p.partition) }, Number(p.offset));
      },
    });
    this.writer = writer;
    const processor = this.deps.processor((ids) => writer.get(ids));
    // After a rebalance every assigned partition is fetched again from its last commit, which is at
    // or below its lowest parked event: what was parked comes back and is parked again.
    consumer.on(consumer.events.GROUP_JOIN, () => this.parking.clear());
    if (this.parking.enabled) this.retryTimer = setInterval(() => void this.retryParked(processor, writer), PARK_POLL_MS);
    await consumer.connect();
    // A broker lost while starting is waited out (each attempt opens a fresh admin, fresh metadata).
    this.partitions = await retryOnBrokerLoss('reading the partition count', () => partitionCount(kafka, config.interactionsTopic), this.deps.logger);
    await retryOnBrokerLoss('positioning a new group', () => positionNewGroup(kafka, config, from), this.deps.logger);
    await consumer.subscribe({ topic: config.interactionsTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => {
        if (this.stopping) return Promise.resolve();
        const p = this.serially(() => this.handle(payload, processor, writer));
        this.inFlight = p;
        return p.finally(() => {
          if (this.inFlight === p) this.inFlight = undefined;
        });
      },
    });
  }

  /**
   * The durable writer is behind: stop fetching (memory stays bounded, heartbeats go on) until it
   * has caught up to half its cap. Never resumes once shutting down.
   */
  private backPressure(paused: boolean): void {
    const topic = [{ topic: this.deps.config.interactionsTopic }];
    if (paused) {
      this.pausedAt = performance.now();
      this.deps.metrics.pauses.inc();
      this.deps.logger.info('durable writer behind; pausing fetches');
      this.consumer?.pause(topic);
      return;
    }
    if (this.pausedAt !== undefined) this.deps.metrics.pausedSeconds.inc((performance.now() - this.pausedAt) / 1000);
    this.pausedAt = undefined;
    if (!this.stopping) this.consumer?.resume(topic);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping = true;
      clearInterval(this.retryTimer);
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
    this.countMisrouted(records, batch.partition);
    const result = await processor.process(batch.topic, records);
    // The states are in Redis now (durable writes follow): queries see these events from here on.
    // One observation per batch, of its oldest event (the first): the batch's worst case, at no
    // per-event cost on the hot path.
    this.deps.metrics.freshness.observe(Math.max(0, Date.now() - Number(batch.messages[0]!.timestamp)) / 1000);
    const last = batch.lastOffset();
    this.nextOffsets.set(`${batch.topic}:${batch.partition}`, BigInt(last) + 1n);
    // Committed by the writer once these states are durable (the DLQ already holds its letters).
    await writer.add(result.states, this.folded(batch.topic, batch.partition));
    resolveOffset(last);
    await heartbeat();
  }

  /**
   * A user on two partitions has two watermarks that cannot order each other's events; the fold
   * still never lets an event older than an ERASE revive the user, but operators must fix the
   * producer (docs/deployment.md, "Partitioning").
   */
  private countMisrouted(records: readonly RawRecord[], partition: number): void {
    if (this.partitions < 2) return;
    const misrouted = records.filter((r) => r.key !== null && murmur2Partition(r.key, this.partitions) !== partition).length;
    if (misrouted === 0) return;
    this.deps.metrics.misrouted.inc(misrouted);
    this.deps.logger.warn({ partition, misrouted }, "events keyed for another partition: a producer is not using Kafka's default (murmur2) partitioner");
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.lane.then(work);
    this.lane = next.catch(() => undefined);
    return next;
  }

  /**
   * The commit point after a batch is in Redis, also published as the partition's progress: queries
   * waiting on a consistency token for offsets below it may answer now. Not awaited (a batch never
   * waits on it, and the stored value only ever rises); a failed write only delays those queries.
   */
  private folded(topic: string, partition: number): CommitPoint {
    const point = this.commitPoint(topic, partition);
    this.deps.progress
      ?.advance(topic, new Map([[partition, BigInt(point.offset)]]))
      .catch((e: Error) => this.deps.logger.warn({ err: e.message }, 'ingest progress not written; queries waiting on it answer after AFTER_WAIT_MS'));
    return point;
  }

  /** The offset to commit for a partition: after its last batch, but never past an event still parked. */
  private commitPoint(topic: string, partition: number): CommitPoint {
    const next = this.nextOffsets.get(`${topic}:${partition}`) ?? 0n;
    const parked = this.parking.lowestOffset(topic, partition);
    this.deps.metrics.parkedEvents.set(this.parking.size);
    return { topic, partition, offset: (parked !== undefined && parked < next ? parked : next).toString() };
  }

  /** Folds the parked events whose retry is due: found items fold, unknown ones park again or, expired, go to the DLQ. */
  private retryParked(processor: BatchProcessor, writer: DurableWriter): Promise<void> {
    if (this.stopping || this.parking.size === 0) return Promise.resolve();
    return this.serially(async () => {
      for (const due of this.parking.takeDue(Date.now())) {
        const result = await processor.process(due.topic, due.records, due.expired ? false : { since: due.since, attempts: due.attempts });
        await writer.add(result.states, this.folded(due.topic, due.partition));
      }
    }).catch((e: Error) => this.deps.logger.warn({ err: e.message }, 'retry of parked events failed; they will be fetched again'));
  }
}

/**
 * A new consumer group starts at the earliest offset (it subscribes from the beginning), or at the
 * first offset at/after a time (replays), set here before it joins.
 */
async function positionNewGroup(kafka: Kafka, config: Config, from: 'earliest' | Date): Promise<void> {
  if (from === 'earliest') return;
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

async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}
