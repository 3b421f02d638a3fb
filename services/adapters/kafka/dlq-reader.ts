import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { InterestStreamError, toInterestStreamError } from '../../core/errors.js';
import { DLQ_HEADERS } from './dead-letters.js';

/** One message of a `<topic>.dlq`, with the headers DeadLetterPublisher wrote, as text. */
export interface StoredDeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  /** The error code (x-error-code); '' when the header is missing. */
  readonly code: string;
  /** When it was dead-lettered (x-failed-at), epoch ms; NaN when the header is missing. */
  readonly failedAt: number;
}

export interface DeadLetterFilter {
  /** Only letters with this error code. */
  readonly reason?: string | undefined;
  /** Only letters dead-lettered at or after this time (epoch ms). */
  readonly since?: number | undefined;
}

export function headersAsText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  return out;
}

export function matches(letter: StoredDeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.reason !== undefined && letter.code !== filter.reason) return false;
  return filter.since === undefined || letter.failedAt >= filter.since;
}

/**
 * Reads a dead-letter topic from its start up to the end it had when the call began (so a redrive
 * that produces new dead letters meanwhile still terminates), in a throw-away consumer group that is
 * deleted afterwards. Fine for operator commands; a DLQ of millions of letters is a job for a stream
 * processor, not a CLI.
 */
export async function readDeadLetters(kafka: Kafka, topic: string, filter: DeadLetterFilter = {}, onProgress?: (read: number, total: number) => void): Promise<StoredDeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `interest-stream-dlq-reader-${randomUUID()}`;
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new InterestStreamError('NOT_FOUND', `there is no topic ${topic}: nothing has been dead-lettered there yet (or the topic name is wrong)`);
    }
    const ends = await admin.fetchTopicOffsets(topic);
    const remaining = new Map(ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, Number(e.high)]));
    const total = ends.reduce((s, e) => s + Number(e.high) - Number(e.low), 0);
    if (remaining.size === 0) return [];
    const out: StoredDeadLetter[] = [];
    await consumeUntil(kafka, groupId, topic, remaining, (letter, read) => {
      if (matches(letter, filter)) out.push(letter);
      onProgress?.(read, total);
    });
    return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  } catch (e) {
    throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

async function consumeUntil(
  kafka: Kafka,
  groupId: string,
  topic: string,
  remaining: Map<number, number>,
  onLetter: (letter: StoredDeadLetter, read: number) => void,
): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    let read = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = remaining.get(partition);
        if (end === undefined || Number(message.offset) >= end) return;
        const headers = headersAsText(message.headers);
        onLetter({ partition, offset: message.offset, key: message.key, value: message.value, headers, code: headers[DLQ_HEADERS.code] ?? '', failedAt: Date.parse(headers[DLQ_HEADERS.failedAt] ?? '') }, ++read);
        if (Number(message.offset) >= end - 1) remaining.delete(partition);
        if (remaining.size === 0) done();
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
  }
}
