import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { InteractionEvent } from '../../domain/types.js';
import { InterestStreamError, toInterestStreamError } from '../../core/errors.js';
import { checkInteraction, interactionCodec } from '../../core/events.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { inSpan, traceHeaders } from '../../core/tracing.js';
import { producerConfig } from './kafka-client.js';

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

  constructor(private readonly opts: InteractionPublisherOptions) {
    this.producer = opts.kafka.producer(producerConfig());
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
    this.closed ??= this.producer.disconnect();
    return this.closed;
  }

  /**
   * Completes, validates and sends `events` in one request (in the given order) and returns them as
   * sent. Invalid input throws INVALID_EVENT / UNKNOWN_EVENT_TYPE before anything is sent; a broker
   * failure throws BROKER_UNAVAILABLE (retryable: the ids are fixed, so a retry is deduplicated downstream).
   */
  async publish(events: readonly InteractionInput[]): Promise<InteractionEvent[]> {
    if (this.started === undefined || this.closed !== undefined) {
      throw new InterestStreamError('INTERNAL', 'InteractionPublisher.publish() called before start() or after close()');
    }
    await this.started;
    const complete = events.map((e) => this.complete(e));
    if (complete.length === 0) return complete;
    const codec = interactionCodec();
    const attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': this.opts.topic, 'messaging.batch.message_count': complete.length };
    await inSpan('interactions publish', () => ({ kind: SpanKind.PRODUCER, attributes }), async () => {
      // With tracing on, every record carries this span's traceparent: ingest links its batch to it.
      const headers = traceHeaders();
      const messages = complete.map((e) => ({ key: e.userId, value: codec.encode(e, { schemaRegistryId: this.opts.schemaRegistryId }), ...(headers ? { headers } : {}) }));
      try {
        await this.producer.send({ topic: this.opts.topic, messages });
      } catch (e) {
        throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
      }
    });
    this.logger.debug({ count: complete.length }, 'published interactions');
    return complete;
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
 * Creates `topic` with `partitions` partitions unless it exists, and waits for its leaders.
 * Returns true when it was created here. Throws BROKER_UNAVAILABLE on broker errors.
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<boolean> {
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) return false;
    // createTopics resolves false when a concurrent caller created it first: still a success.
    return await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } catch (e) {
    throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
  }
}
