/**
 * Impressions (IMPRESSIONS_TOPIC): what the query service served, one JSON record per answer, keyed
 * by user id (a user's impressions keep their order, on the partition of the user's interactions
 * when both topics have as many partitions). Sent in the background: an answer never waits for
 * Kafka, and when Kafka cannot keep up impressions are dropped (counted), never queued without bound.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '../../core/logger.js';
import { producerConfig } from './kafka-client.js';
import type { Impression, ImpressionSink } from '../../domain/ports/index.js';

/** Impressions in flight beyond which new ones are dropped. */
const MAX_PENDING = 10_000;

export class KafkaImpressionPublisher implements ImpressionSink {
  private readonly producer: Producer;
  private readonly pending = new Set<Promise<void>>();
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly opts: { logger: Logger; onOutcome?: (outcome: 'sent' | 'failed' | 'dropped') => void },
  ) {
    // A few retries, not ingest's endless ones: an impression that cannot be written is dropped.
    this.producer = kafka.producer(producerConfig({ retry: { retries: 3 } }));
  }

  start(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  record(impression: Impression): void {
    if (this.pending.size >= MAX_PENDING) {
      this.opts.onOutcome?.('dropped');
      return;
    }
    const sent = this.producer
      .send({ topic: this.topic, messages: [{ key: impression.userId, value: JSON.stringify(impression) }] })
      .then(
        () => this.opts.onOutcome?.('sent'),
        (e: unknown) => {
          this.opts.onOutcome?.('failed');
          this.opts.logger.warn({ err: e, topic: this.topic, userId: impression.userId }, 'impression not written');
        },
      )
      .finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  /** Waits for the impressions in flight, then disconnects. */
  async close(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.producer.disconnect();
  }
}
