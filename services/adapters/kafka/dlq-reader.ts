import type { IHeaders, Kafka } from 'kafkajs';
import { InterestStreamError, toInterestStreamError } from '../../domain/errors.js';
import { DLQ_HEADERS } from './dead-letters.js';
import { readTopicToEnd } from './topic-reader.js';

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
 * Reads a dead-letter topic up to the end it had when the call began (topic-reader.ts), so a redrive
 * that produces new dead letters meanwhile still terminates. Fine for operator commands; a DLQ of
 * millions of letters is a job for a stream processor, not a CLI.
 */
export async function readDeadLetters(kafka: Kafka, topic: string, filter: DeadLetterFilter = {}, onProgress?: (read: number, total: number) => void): Promise<StoredDeadLetter[]> {
  const out: StoredDeadLetter[] = [];
  const missing = (): Error => new InterestStreamError('NOT_FOUND', `there is no topic ${topic}: nothing has been dead-lettered there yet (or the topic name is wrong)`);
  try {
    await readTopicToEnd(
      kafka,
      topic,
      ({ partition, offset, key, value, headers: raw }) => {
        const headers = headersAsText(raw);
        const letter = { partition, offset, key, value, headers, code: headers[DLQ_HEADERS.code] ?? '', failedAt: Date.parse(headers[DLQ_HEADERS.failedAt] ?? '') };
        if (matches(letter, filter)) out.push(letter);
      },
      { groupPrefix: 'interest-stream-dlq-reader', missing, ...(onProgress ? { onProgress } : {}) },
    );
  } catch (e) {
    throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
  }
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
