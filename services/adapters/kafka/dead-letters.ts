import type { IHeaders, Producer } from 'kafkajs';
import type { InterestStreamError } from '../../core/errors.js';
import { dlqTopic } from '../../core/names.js';

/** A message that could not be applied, with the reason, ready for `<topic>.dlq`. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  /** The original bytes, untouched, so the message can be replayed once the cause is fixed. */
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
  readonly error: InterestStreamError;
}

export const DLQ_HEADERS = {
  code: 'x-error-code',
  message: 'x-error-message',
  topic: 'x-source-topic',
  partition: 'x-source-partition',
  offset: 'x-source-offset',
  failedAt: 'x-failed-at',
} as const;

/**
 * Sends dead letters to `<source topic>.dlq`, keyed like the original so a user's failures stay in
 * order. The original headers are kept; ours are added under x-* names.
 */
export class DeadLetterPublisher {
  constructor(private readonly producer: Producer) {}

  async send(letters: readonly DeadLetter[], now: number = Date.now()): Promise<void> {
    if (letters.length === 0) return;
    const byTopic = new Map<string, DeadLetter[]>();
    for (const l of letters) {
      const t = dlqTopic(l.topic);
      byTopic.set(t, [...(byTopic.get(t) ?? []), l]);
    }
    await this.producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, ls]) => ({
        topic,
        messages: ls.map((l) => ({
          key: l.key,
          value: l.value,
          headers: {
            ...(l.headers ?? {}),
            [DLQ_HEADERS.code]: l.error.code,
            [DLQ_HEADERS.message]: l.error.message.slice(0, 1000),
            [DLQ_HEADERS.topic]: l.topic,
            [DLQ_HEADERS.partition]: String(l.partition),
            [DLQ_HEADERS.offset]: l.offset,
            [DLQ_HEADERS.failedAt]: new Date(now).toISOString(),
          },
        })),
      })),
    });
  }
}
