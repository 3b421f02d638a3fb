import { createHash } from 'node:crypto';
import type { Admin, IHeaders, Message } from 'kafkajs';
import { readTopicConfig } from './topic-config.js';
import { chunkBy } from '../../domain/chunks.js';

/** The broker's default `message.max.bytes` (1 MiB + record-batch overhead), used when a topic does not say. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Room left for the record batch's own header and per-record framing (varints, attributes). */
const BATCH_OVERHEAD = 1024;
const PER_RECORD_OVERHEAD = 64;
/** What a reference keeps of a value too large to send, for a human to recognise it. */
const REFERENCE_VALUE_BYTES = 1024;

/** Headers that mark a reference: the record's value was too large and was cut. */
export const REFERENCE_HEADERS = {
  truncated: 'x-truncated',
  originalBytes: 'x-original-bytes',
  sha256: 'x-original-sha256',
} as const;

/**
 * `max.message.bytes` of each topic, read once at start (describeConfigs): every produce request
 * is then cut to fit, since a record batch over it is refused with MESSAGE_TOO_LARGE — retried
 * forever, the partition behind it stalls.
 */
export async function readMaxMessageBytes(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [topic, value] of await readTopicConfig(admin, topics, 'max.message.bytes')) {
    const v = Number(value);
    out.set(topic, Number.isSafeInteger(v) && v > 0 ? v : DEFAULT_MAX_MESSAGE_BYTES);
  }
  return out;
}

function size(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

function headersBytes(headers: IHeaders | undefined): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers ?? {})) {
    n += Buffer.byteLength(k) + 8;
    for (const x of Array.isArray(v) ? v : [v]) n += size(x as Buffer | string | undefined);
  }
  return n;
}

/** Bytes one record takes in a record batch, an upper bound. */
export function recordBytes(m: Message): number {
  return PER_RECORD_OVERHEAD + size(m.key) + size(m.value) + headersBytes(m.headers);
}

/** Bytes a request's records may take for the topic's limit. */
export function usableBytes(maxMessageBytes: number): number {
  return Math.max(4096, maxMessageBytes - BATCH_OVERHEAD);
}

/** Splits messages, in order, into sends whose records fit one record batch under `maxBytes`. */
export function chunkMessages(messages: readonly Message[], maxBytes: number): Message[][] {
  return chunkBy(messages, recordBytes, { maxBytes });
}

function truncate(b: Buffer | string | null | undefined, max: number): Buffer | null {
  if (b === null || b === undefined) return null;
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return buf.length <= max ? buf : buf.subarray(0, max);
}

/**
 * A record too large for any batch, as a reference that fits: the first KiB of its value (and of
 * its key), its size and SHA-256, and `keep` headers (ours: why it failed and where it came from);
 * the original lives on in the source topic at the offset the headers name, until retention.
 */
export function asReference(m: Message, keep: IHeaders): Message {
  const value = m.value === null || m.value === undefined ? null : typeof m.value === 'string' ? Buffer.from(m.value) : m.value;
  return {
    key: truncate(m.key, REFERENCE_VALUE_BYTES),
    value: truncate(value, REFERENCE_VALUE_BYTES),
    headers: {
      ...keep,
      [REFERENCE_HEADERS.truncated]: 'true',
      [REFERENCE_HEADERS.originalBytes]: String(size(value)),
      [REFERENCE_HEADERS.sha256]: createHash('sha256').update(value ?? Buffer.alloc(0)).digest('hex'),
    },
  };
}
