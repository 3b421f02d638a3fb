import { SpanKind, type SpanOptions } from '@opentelemetry/api';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { consumerGroupId } from '../core/names.js';
import type { VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import type { BatchProcessor } from './batch-processor.js';
import { DurableWriter, type CommitPoint } from './durable-writer.js';
import type { IngestMetrics } from './metrics.js';
import { ParkingLot } from './parked-events.js';
import { chunkBy } from '../domain/chunks.js';
import { murmur2Partition } from '../adapters/kafka/murmur2.js';
import { inSpan, linksFromHeaders } from '../core/tracing.js';
import { BatchConsumer, type KafkaConnection } from '../adapters/kafka/batch-consumer.js';
import type { LogRecord, RecordBatch } from '../domain/log-records.js';
import type { RedisIngestProgress } from '../adapters/redis/redis-ingest-progress.js';

/** What the interactions consumer reads of the configuration: its group, topic, fetch wait, and the durable writer's bounds. */
export type InteractionsConsumerSettings = Pick<
  Config,
  | 'consumerGroup'
  | 'generation'
  | 'interactionsTopic'
  | 'ingestFetchWaitMs'
  | 'kafkaSessionTimeoutMs'
  | 'ingestPartitionsConcurrently'
  | 'ingestMaxPendingUsers'
  | 'ingestMaxPendingBytes'
  | 'durableChunkPoints'
  | 'durableChunkBytes'
>;

export interface InteractionsConsumerDeps {
  readonly kafka: KafkaConnection;
  readonly config: InteractionsConsumerSettings;
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

/** A batch waiting for its fold unit, and how to tell kafkajs it is done. */
interface Gathered {
  readonly batch: RecordBatch;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Most bytes fetched per partition; also the most a fold unit gathers (a larger batch is a unit alone). */
const FETCH_BYTES_PER_PARTITION = 4 * 1024 * 1024;

/**
 * Cuts gathered batches into fold units of at most FETCH_BYTES_PER_PARTITION of record values, in
 * the order they came: live traffic (small batches) folds in one unit, a backlog (full batches)
 * one batch at a time as before, so a unit's memory stays that of one full fetch of a partition.
 */
export function foldUnits<T extends { readonly batch: RecordBatch }>(gathered: readonly T[], maxBytes = FETCH_BYTES_PER_PARTITION): T[][] {
  return chunkBy(gathered, (g) => g.batch.records.reduce((n, r) => n + (r.value?.length ?? 0), 0), { maxBytes });
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
  private consumer: BatchConsumer | undefined;
  private writer: DurableWriter | undefined;
  private stopping = false;
  private pausedAt: number | undefined;
  /** Fold units and parked retries run one at a time, so a user's events fold in order. */
  private lane: Promise<unknown> = Promise.resolve();
  /** Batches handed over and not yet in a fold unit (at most one per partition: kafkajs waits for each). */
  private gathered: Gathered[] = [];
  private gatherScheduled = false;
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
    const { kafka, config, logger } = this.deps;
    const consumer = new BatchConsumer(kafka, {
      groupId: consumerGroupId(config.consumerGroup, config.generation),
      topic: config.interactionsTopic,
      maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
      maxWaitTimeInMs: config.ingestFetchWaitMs,
      sessionTimeoutMs: config.kafkaSessionTimeoutMs,
      partitionsConcurrently: config.ingestPartitionsConcurrently,
      commits: 'manual',
      onAssigned: () => {
        this.deps.onAssigned?.();
        // After a rebalance every assigned partition is fetched again from its last commit, which is at
        // or below its lowest parked event: what was parked comes back and is parked again.
        this.parking.clear();
      },
      // Shutdown waits until everything folded is durable and committed before leaving the group.
      beforeLeave: async () => this.writer?.drain(),
      logger,
    });
    this.consumer = consumer;
    const writer = this.durableWriter(consumer);
    this.writer = writer;
    const processor = this.deps.processor((ids) => writer.get(ids));
    if (this.parking.enabled) this.retryTimer = setInterval(() => void this.retryParked(processor, writer), PARK_POLL_MS);
    this.partitions = await consumer.partitionCount();
    await consumer.start((batch) => this.gather(batch, processor, writer), from);
  }

  private durableWriter(consumer: BatchConsumer): DurableWriter {
    const { config, metrics } = this.deps;
    return new DurableWriter({
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
        const { committed, dropped } = await consumer.commitOwned(all);
        if (dropped > 0) metrics.droppedCommits.inc(dropped);
        for (const p of committed) metrics.committedOffset.set({ topic: p.topic, partition: String(p.partition) }, Number(p.offset));
      },
    });
  }

  /**
   * The durable writer is behind: stop fetching (memory stays bounded, heartbeats go on) until it
   * has caught up to half its cap. Never resumes once shutting down.
   */
  private backPressure(paused: boolean): void {
    if (paused) {
      this.pausedAt = performance.now();
      this.deps.metrics.pauses.inc();
      this.deps.logger.info('durable writer behind; pausing fetches');
      this.consumer?.pause();
      return;
    }
    if (this.pausedAt !== undefined) this.deps.metrics.pausedSeconds.inc((performance.now() - this.pausedAt) / 1000);
    this.pausedAt = undefined;
    this.consumer?.resume();
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping = true;
      clearInterval(this.retryTimer);
      await this.consumer?.close();
    })();
    return this.closed;
  }

  /**
   * Hands a batch to the next fold unit. kafkajs passes the batches of one fetch (one per partition,
   * up to INGEST_PARTITIONS_CONCURRENTLY) at about the same time; folding them as one unit costs one
   * round of state reads and writes instead of one per partition, and none of them waits for the
   * others' folds. Resolves once the unit holding the batch is folded.
   */
  private gather(batch: RecordBatch, processor: BatchProcessor, writer: DurableWriter): Promise<void> {
    return new Promise((resolve, reject) => {
      this.gathered.push({ batch, resolve, reject });
      if (this.gatherScheduled) return;
      this.gatherScheduled = true;
      // One turn of the event loop lets the fetch's other batches arrive before the unit is cut.
      setImmediate(() => {
        this.gatherScheduled = false;
        for (const unit of foldUnits(this.gathered.splice(0))) {
          this.serially(() => this.handle(unit.map((g) => g.batch), processor, writer)).then(
            () => unit.forEach((g) => g.resolve()),
            (e: unknown) => unit.forEach((g) => g.reject(e)),
          );
        }
      });
    });
  }

  private async handle(batches: readonly RecordBatch[], processor: BatchProcessor, writer: DurableWriter): Promise<void> {
    // One span per fold unit, linked to the producer spans whose traceparent the records carry.
    const records = batches.flatMap((b) => b.records);
    const options = (): SpanOptions => ({
      kind: SpanKind.CONSUMER,
      links: linksFromHeaders(records),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': batches[0]!.topic,
        'messaging.destination.partition.id': batches.map((b) => String(b.partition)).join(','),
        'messaging.batch.message_count': records.length,
      },
    });
    await inSpan('interactions fold batch', options, () => this.fold(batches, records, processor, writer));
  }

  private async fold(batches: readonly RecordBatch[], records: readonly LogRecord[], processor: BatchProcessor, writer: DurableWriter): Promise<void> {
    for (const batch of batches) {
      this.deps.metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, batch.lag);
      this.countMisrouted(batch.records, batch.partition);
    }
    // Partitions never share a user (the key is the user id), so their records fold together.
    const result = await processor.process(batches[0]!.topic, records);
    // The states are in Redis now (durable writes follow): queries see these events from here on.
    // One observation per batch, of its oldest event (the first): the batch's worst case, at no
    // per-event cost on the hot path.
    for (const batch of batches) {
      this.deps.metrics.freshness.observe(Math.max(0, Date.now() - batch.records[0]!.timestamp) / 1000);
      this.nextOffsets.set(`${batch.topic}:${batch.partition}`, BigInt(batch.lastOffset) + 1n);
    }
    // Committed by the writer once these states are durable (the DLQ already holds its letters).
    await writer.add(
      result.states,
      batches.map((b) => this.folded(b.topic, b.partition)),
    );
  }

  /**
   * A user on two partitions has two watermarks that cannot order each other's events; the fold
   * still never lets an event older than an ERASE revive the user, but operators must fix the
   * producer (docs/deployment.md, "Partitioning").
   */
  private countMisrouted(records: readonly LogRecord[], partition: number): void {
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
      .catch((e: Error) => this.deps.logger.warn({ err: e }, 'ingest progress not written; queries waiting on it answer after AFTER_WAIT_MS'));
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
    }).catch((e: Error) => this.deps.logger.warn({ err: e }, 'retry of parked events failed; they will be fetched again'));
  }
}
