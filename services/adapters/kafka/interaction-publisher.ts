import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { Partitioners, type Admin, type Kafka, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import type { InteractionEvent, Watermark } from '../../domain/types.js';
import { InterestStreamError, toInterestStreamError } from '../../domain/errors.js';
import { checkInteraction, interactionCodec } from '../../core/events.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { inSpan, traceHeaders } from '../../core/tracing.js';
import { encodeToken, type ConsistencyToken } from '../../core/consistency-token.js';
import { producerConfig } from './kafka-client.js';
import type { EventSealer } from '../../domain/shred/shredding.js';

/** What a caller publishes: eventId, occurredAt and weight are filled in when absent. */
export type InteractionInput = Omit<InteractionEvent, 'eventId' | 'occurredAt' | 'weight'> &
  Partial<Pick<InteractionEvent, 'eventId' | 'occurredAt' | 'weight'>>;

export interface InteractionPublisherOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Write Confluent framing with this schema id (config SCHEMA_REGISTRY_ID); single-object encoding when absent. */
  readonly schemaRegistryId?: number | undefined;
  readonly logger?: Logger;
  /** Clock for the default occurredAt (tests). */
  readonly now?: () => number;
  /** Id generator for the default eventId (tests). */
  readonly newId?: () => string;
  /**
   * Longest wait for a send (config PUBLISH_TIMEOUT_MS in the query service). kafkajs retries
   * metadata for a missing topic or an unreachable broker for tens of seconds; past this bound the
   * caller gets BROKER_UNAVAILABLE with `details.timeoutMs` instead of waiting. Unbounded when absent.
   */
  readonly timeoutMs?: number;
  /**
   * ERASURE_MODE=shred: seals every event with its user's data key and keys it by the user's
   * pseudonym instead of the user id (domain/shred/shredding.ts EventSealer). Absent: plain events keyed by userId.
   */
  readonly sealer?: Pick<EventSealer, 'seal'> & { close?(): Promise<void> };
}

/** What `publishWithToken` returns: the events as sent and the consistency token for them. */
export interface PublishedEvents {
  readonly events: InteractionEvent[];
  /**
   * Pass it as `after` to a query (HTTP `?after=`, gRPC `after`) to be answered once ingest has
   * folded these events. Opaque and URL-safe; tokens of several sends merge with `mergeTokens`
   * (services/core/consistency-token.ts). Empty when nothing was sent.
   */
  readonly token: string;
  /** The token decoded (partition → highest offset written), for merging. Undefined when nothing was sent. */
  readonly position: ConsistencyToken | undefined;
}

/**
 * Typed producer of `interactions` events, keyed by userId. The producer is idempotent with one
 * request in flight, so a retried send can neither duplicate nor reorder a user's events.
 */
export class InteractionPublisher {
  private readonly producer: Producer;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly newId: () => string;
  private started: Promise<void> | undefined;
  private closed: Promise<void> | undefined;

  /** The partition kafkajs' partitioner chose for each message object we sent (the token needs the count per partition). */
  private readonly partitionOf = new WeakMap<Message, number>();

  constructor(private readonly opts: InteractionPublisherOptions) {
    this.producer = opts.kafka.producer(producerConfig({ createPartitioner: recordingPartitioner(this.partitionOf) }));
    this.logger = (opts.logger ?? silentLogger()).child({ component: 'interaction-publisher', topic: opts.topic });
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
  }

  /** Connects the producer. Throws BROKER_UNAVAILABLE when the brokers cannot be reached. */
  start(): Promise<void> {
    this.started ??= this.producer.connect().catch((e: unknown) => {
      this.started = undefined;
      throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
    });
    return this.started;
  }

  /** Disconnects; safe to call more than once (returns the same promise). */
  close(): Promise<void> {
    this.closed ??= this.producer.disconnect().finally(() => this.opts.sealer?.close?.());
    return this.closed;
  }

  /**
   * Completes, validates and sends `events` in one request (in the given order) and returns them as
   * sent. Invalid input throws INVALID_EVENT / UNKNOWN_EVENT_TYPE before anything is sent; a broker
   * failure throws BROKER_UNAVAILABLE (retryable: the ids are fixed, so a retry is deduplicated downstream).
   */
  async publish(events: readonly InteractionInput[]): Promise<InteractionEvent[]> {
    return (await this.publishWithToken(events)).events;
  }

  /**
   * Publishes one event like `publish` and returns it with the position the broker gave it: an
   * erasure's marker is that position (docs/privacy.md).
   */
  async publishAt(event: InteractionInput): Promise<{ event: InteractionEvent; watermark: Watermark }> {
    const { events, position } = await this.publishWithToken([event]);
    const [written] = position?.offsets ?? new Map<number, bigint>();
    if (written === undefined) throw new InterestStreamError('BROKER_UNAVAILABLE', `the broker did not say where it wrote the event to ${this.opts.topic}`);
    return { event: events[0]!, watermark: { partition: written[0], offset: written[1].toString() } };
  }

  /** `publish`, plus the consistency token of what was sent (read-your-writes: pass it as `after`). */
  async publishWithToken(events: readonly InteractionInput[]): Promise<PublishedEvents> {
    if (this.started === undefined || this.closed !== undefined) {
      throw new InterestStreamError('INTERNAL', 'InteractionPublisher.publish() called before start() or after close()');
    }
    await this.started;
    const complete = events.map((e) => this.complete(e));
    if (complete.length === 0) return { events: complete, token: '', position: undefined };
    const codec = interactionCodec();
    const attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': this.opts.topic, 'messaging.batch.message_count': complete.length };
    const position = await inSpan('interactions publish', () => ({ kind: SpanKind.PRODUCER, attributes }), async () => {
      // With tracing on, every record carries this span's traceparent: ingest links its batch to it.
      const headers = traceHeaders();
      const plain = complete.map((e) => ({
        key: e.userId,
        userId: e.userId,
        value: codec.encode(e, { schemaRegistryId: this.opts.schemaRegistryId }),
        ...(e.type === 'ERASE' ? { eraseId: e.eventId } : {}),
      }));
      const sealed = this.opts.sealer ? await this.opts.sealer.seal(plain) : plain;
      const messages = sealed.map((m) => ({ key: m.key, value: m.value, ...(headers ? { headers } : {}) }));
      try {
        const sent = await this.bounded(this.producer.send({ topic: this.opts.topic, messages }));
        return this.positionOf(sent, messages);
      } catch (e) {
        throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
      }
    });
    this.logger.debug({ count: complete.length }, 'published interactions');
    return { events: complete, token: encodeToken(position), position };
  }

  /** Per partition, the last offset written: the broker's base offset plus the messages sent there, less one. */
  private positionOf(sent: readonly RecordMetadata[], messages: readonly Message[]): ConsistencyToken {
    const counts = new Map<number, number>();
    for (const m of messages) {
      const p = this.partitionOf.get(m);
      if (p !== undefined) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    const offsets = new Map<number, bigint>();
    for (const r of sent) {
      const n = counts.get(r.partition) ?? 0;
      if (r.topicName === this.opts.topic && n > 0 && r.baseOffset !== undefined) offsets.set(r.partition, BigInt(r.baseOffset) + BigInt(n - 1));
    }
    return { topic: this.opts.topic, offsets };
  }

  // The send itself goes on in kafkajs after a timeout; its ids are fixed, so if it lands late and
  // the caller retries, ingest drops the duplicate.
  private bounded<T>(send: Promise<T>): Promise<T> {
    const timeoutMs = this.opts.timeoutMs;
    if (timeoutMs === undefined) return send;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message = `publishing to ${this.opts.topic} did not complete within ${timeoutMs} ms`;
        reject(new InterestStreamError('BROKER_UNAVAILABLE', message, { details: { timeoutMs, topic: this.opts.topic } }));
      }, timeoutMs);
    });
    send.catch(() => {});
    return Promise.race([send, expired]).finally(() => clearTimeout(timer));
  }

  private complete(e: InteractionInput): InteractionEvent {
    return checkInteraction({
      eventId: e.eventId ?? this.newId(),
      userId: e.userId,
      itemId: e.itemId,
      type: e.type,
      occurredAt: e.occurredAt ?? this.now(),
      weight: e.weight ?? 1,
    });
  }
}

/**
 * kafkajs' default (murmur2) partitioner, remembering the partition of every message object it
 * places. kafkajs hands the caller's message objects to the partitioner and places them again on a
 * retried send, so the last choice recorded is the one that was written.
 */
function recordingPartitioner(partitionOf: WeakMap<Message, number>) {
  return () => {
    const place = Partitioners.DefaultPartitioner();
    return (args: Parameters<ReturnType<typeof Partitioners.DefaultPartitioner>>[0]): number => {
      const p = place(args);
      partitionOf.set(args.message, p);
      return p;
    };
  };
}

/**
 * The history topic is compacted: each snapshot has a key of its own (names.ts historySnapshotKey),
 * and an erasure's tombstones remove every snapshot of the user (docs/privacy.md). A topic created
 * before this must be altered by the operator (docs/deployment.md).
 */
export const HISTORY_TOPIC_CONFIG: ReadonlyArray<{ name: string; value: string }> = [{ name: 'cleanup.policy', value: 'compact' }];

/**
 * Creates `topic` with `partitions` partitions unless it exists, and waits for its leaders.
 * Returns true when it was created here. Throws BROKER_UNAVAILABLE on broker errors.
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number, configEntries?: ReadonlyArray<{ name: string; value: string }>): Promise<boolean> {
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) return false;
    // createTopics resolves false when a concurrent caller created it first: still a success.
    const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions, ...(configEntries ? { configEntries: [...configEntries] } : {}) }], waitForLeaders: false });
    await waitForLeaders(admin, topic);
    return created;
  } catch (e) {
    throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
  }
}

/**
 * Waits until every partition of a new topic has a leader. kafkajs' own wait gives up when the
 * broker it asks has not yet heard of the topic ("This server does not host this topic-partition"),
 * which on a multi-broker cluster is the normal state for a moment after creation.
 */
async function waitForLeaders(admin: Admin, topic: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = topics[0]?.partitions ?? [];
      if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return;
    } catch (e) {
      if (Date.now() > deadline || (e as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw e;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic}: partitions without a leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
