import type { IHeaders, Message, Producer } from 'kafkajs';
import type { DeadLetter } from '../../domain/ports/index.js';
import { dlqTopic } from '../../core/names.js';
import { DEFAULT_MAX_MESSAGE_BYTES, asReference, chunkMessages, recordBytes, usableBytes } from './sized-sends.js';

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
 * order. The original headers are kept; ours are added under x-* names. Sends are cut to fit the
 * DLQ topic's `max.message.bytes` (`maxMessageBytes`, read at start); a letter that cannot fit on
 * its own goes as a reference (our headers, the first KiB, size and SHA-256) instead of failing,
 * because a failing DLQ send stalls the partition it came from.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly maxMessageBytes: ReadonlyMap<string, number> = new Map(),
  ) {}

  async send(letters: readonly DeadLetter[], now: number = Date.now()): Promise<void> {
    if (letters.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const l of letters) {
      const t = dlqTopic(l.topic);
      const limit = usableBytes(this.maxMessageBytes.get(t) ?? DEFAULT_MAX_MESSAGE_BYTES);
      const ours = ourHeaders(l, now);
      const full: Message = { key: l.key, value: l.value, headers: { ...(l.headers ?? {}), ...ours } };
      byTopic.set(t, [...(byTopic.get(t) ?? []), recordBytes(full) <= limit ? full : asReference(full, ours)]);
    }
    for (const [topic, messages] of byTopic) {
      const limit = usableBytes(this.maxMessageBytes.get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES);
      for (const chunk of chunkMessages(messages, limit)) await this.producer.send({ topic, messages: chunk });
    }
  }
}

function ourHeaders(l: DeadLetter, now: number): IHeaders {
  return {
    [DLQ_HEADERS.code]: l.error.code,
    [DLQ_HEADERS.message]: l.error.message.slice(0, 1000),
    [DLQ_HEADERS.topic]: l.topic,
    [DLQ_HEADERS.partition]: String(l.partition),
    [DLQ_HEADERS.offset]: l.offset,
    [DLQ_HEADERS.failedAt]: new Date(now).toISOString(),
  };
}
