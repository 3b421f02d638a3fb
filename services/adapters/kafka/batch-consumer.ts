import type { Batch, Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../../core/logger.js';
import type { LogPosition, RecordBatch } from '../../domain/log-records.js';
import { retryOnBrokerLoss } from './broker-loss.js';
import { PartitionOwnership } from './partition-ownership.js';

/** What the consumer adapter needs of a kafkajs client (a `Kafka`, or a fake in tests). */
export type KafkaConnection = Pick<Kafka, 'consumer' | 'admin'>;

export interface BatchConsumerOptions {
  readonly groupId: string;
  readonly topic: string;
  /** How long the broker may hold a fetch waiting for records (ms). */
  readonly maxWaitTimeInMs: number;
  /**
   * Partitions whose batches may be handled at the same time (kafkajs `partitionsConsumedConcurrently`);
   * a partition's own batches are always handed over one at a time. Default 1.
   */
  readonly partitionsConcurrently?: number;
  /** Bytes fetched per partition at most; kafkajs' default (1 MiB) when absent. */
  readonly maxBytesPerPartition?: number;
  /**
   * The group session timeout (KAFKA_SESSION_TIMEOUT_MS): how long a member that stops heartbeating
   * (SIGSTOP, a network partition) keeps its partitions; heartbeats go at a third of it, at most
   * every 3 s. kafkajs' default (30 s) when absent.
   */
  readonly sessionTimeoutMs?: number;
  /**
   * `manual`: offsets are committed only through `commit`/`commitOwned`, when the use case says its
   * work is safe. `auto`: kafkajs commits each batch once the handler has returned.
   */
  readonly commits: 'manual' | 'auto';
  /** Runs after every group (re)join, once the new assignment is known. */
  readonly onAssigned?: () => void;
  /** Runs on close, after the batches in flight have finished and before the group is left. */
  readonly beforeLeave?: () => Promise<void>;
  readonly logger: Logger;
}

/** The use case's work on one batch; the batch counts as consumed once it resolves. */
export type BatchHandler = (batch: RecordBatch) => Promise<void>;

/**
 * One consumer-group member over one topic: it translates kafkajs batches into plain records, skips
 * stale batches (a seek is pending on their partition), resolves and heartbeats after each batch,
 * pauses and resumes fetching (back-pressure), and leaves the group only once the batch in flight is
 * done. Every consumer loop of the services runs on it.
 */
export class BatchConsumer {
  private consumer: Consumer | undefined;
  private ownership: PartitionOwnership | undefined;
  /** Batches being handled (several with `partitionsConcurrently`): close() waits for all of them. */
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly kafka: KafkaConnection,
    private readonly opts: BatchConsumerOptions,
  ) {}

  /**
   * Joins the group and hands every batch to `handle`, one at a time. A new group starts at the
   * earliest offset, or at the first offset at/after `from` (replays).
   */
  async start(handle: BatchHandler, from: 'earliest' | Date = 'earliest'): Promise<void> {
    // Closed before it started (a start-up that failed elsewhere): it must not join the group now.
    if (this.stopping) return;
    const { groupId, topic, maxWaitTimeInMs, maxBytesPerPartition, sessionTimeoutMs } = this.opts;
    const config: ConsumerConfig = {
      groupId,
      maxWaitTimeInMs,
      ...(maxBytesPerPartition !== undefined ? { maxBytesPerPartition } : {}),
      ...(sessionTimeoutMs !== undefined ? { sessionTimeout: sessionTimeoutMs, heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeoutMs / 3)) } : {}),
    };
    const consumer = this.kafka.consumer(config);
    this.consumer = consumer;
    this.ownership = new PartitionOwnership(consumer, this.opts.onAssigned);
    await consumer.connect();
    // A broker lost while starting is waited out (each attempt opens a fresh admin, fresh metadata).
    if (from !== 'earliest') await retryOnBrokerLoss('positioning a new group', () => positionNewGroup(this.kafka, groupId, topic, from), this.opts.logger);
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: this.opts.commits === 'auto',
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.track(payload, handle),
    });
  }

  /** The topic's partition count, read from fresh metadata (a lost broker is waited out). */
  partitionCount(): Promise<number> {
    return retryOnBrokerLoss('reading the partition count', () => partitionCount(this.kafka, this.opts.topic), this.opts.logger);
  }

  /** Stops fetching; heartbeats go on, so the member keeps its partitions. */
  pause(): void {
    this.consumer?.pause([{ topic: this.opts.topic }]);
  }

  /** Fetches again; never once closing. */
  resume(): void {
    if (!this.stopping) this.consumer?.resume([{ topic: this.opts.topic }]);
  }

  commit(points: readonly LogPosition[]): Promise<void> {
    return this.consumer?.commitOffsets(points.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset }))) ?? Promise.resolve();
  }

  /**
   * Commits only the points of partitions this member still owns: kafkajs commits whatever it is
   * given once rejoined, and a point queued before a rebalance would overwrite the new owner's progress.
   */
  async commitOwned(points: readonly LogPosition[]): Promise<{ committed: LogPosition[]; dropped: number }> {
    const { keep, dropped } = this.ownership?.keepOwned(points) ?? { keep: [], dropped: points.length };
    if (keep.length > 0) await this.commit(keep);
    return { committed: keep, dropped };
  }

  /** Stops fetching, lets the batches in flight finish, runs `beforeLeave`, then leaves the group. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping = true;
      if (!this.consumer) return;
      this.pause();
      await Promise.allSettled([...this.inFlight]);
      await this.opts.beforeLeave?.();
      await this.consumer.disconnect();
    })();
    return this.closed;
  }

  private track(payload: EachBatchPayload, handle: BatchHandler): Promise<void> {
    if (this.stopping) return Promise.resolve();
    const p = consumeBatch(payload, handle);
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }
}

/** Hands one kafkajs batch to `handle` as plain records, then marks it consumed and heartbeats. */
export async function consumeBatch(payload: Pick<EachBatchPayload, 'batch' | 'isStale' | 'resolveOffset' | 'heartbeat'>, handle: BatchHandler): Promise<void> {
  const { batch, isStale, resolveOffset, heartbeat } = payload;
  if (batch.messages.length === 0 || isStale()) return;
  await handle(toRecordBatch(batch));
  resolveOffset(batch.lastOffset());
  await heartbeat();
}

/** A kafkajs batch in plain types. */
export function toRecordBatch(batch: Pick<Batch, 'topic' | 'partition' | 'messages' | 'lastOffset' | 'offsetLag'>): RecordBatch {
  const { topic, partition } = batch;
  return {
    topic,
    partition,
    records: batch.messages.map((m) => ({ topic, partition, offset: m.offset, key: m.key ?? null, value: m.value, headers: m.headers, timestamp: Number(m.timestamp) })),
    lastOffset: batch.lastOffset(),
    lag: Number(batch.offsetLag()),
  };
}

/** A new group is positioned at the first offset at/after `from`, before it joins; a group with commits is left alone. */
async function positionNewGroup(kafka: KafkaConnection, groupId: string, topic: string, from: Date): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const fresh = committed.every((t) => t.partitions.every((p) => p.offset === '-1'));
    if (fresh) {
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, from.getTime());
      await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.offset })) });
    }
  } finally {
    await admin.disconnect();
  }
}

async function partitionCount(kafka: KafkaConnection, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}
