/**
 * Reads a topic from its start up to the end it had when reading began (so a command that produces
 * to it meanwhile still terminates), in a throw-away consumer group that commits nothing and is
 * deleted afterwards. Used by operator commands (`dlq`) and offline replays (`evaluate`): never by
 * ingest, whose groups are the generations'.
 */
import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';

export interface TopicMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
}

export interface ReadToEndOptions {
  /** Names the throw-away group (`<groupPrefix>-<uuid>`), so an operator can tell what it is. */
  readonly groupPrefix: string;
  /** Called as messages arrive, with how many were read and how many the topic held. */
  readonly onProgress?: (read: number, total: number) => void;
  /** When given, a missing topic throws this instead of waiting on metadata. */
  readonly missing?: () => Error;
}

/** Calls `onMessage` for every message below each partition's end, in offset order per partition. */
export async function readTopicToEnd(kafka: Kafka, topic: string, onMessage: (m: TopicMessage) => void, opts: ReadToEndOptions): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${opts.groupPrefix}-${randomUUID()}`;
  try {
    if (opts.missing && !(await admin.listTopics()).includes(topic)) throw opts.missing();
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
    const total = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
    if (ends.size > 0) await consumeUntil(kafka, groupId, topic, ends, onMessage, (read) => opts.onProgress?.(read, total));
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Runs a consumer until every partition in `ends` has delivered its message at `end − 1`. */
async function consumeUntil(
  kafka: Kafka,
  groupId: string,
  topic: string,
  ends: ReadonlyMap<number, bigint>,
  onMessage: (m: TopicMessage) => void,
  onRead: (read: number) => void,
): Promise<void> {
  const pending = new Set(ends.keys());
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  let read = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            if (end === undefined) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              onMessage({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers });
              onRead(++read);
            }
            // The last offset may be a transaction marker, never delivered as a message.
            if (BigInt(batch.lastOffset()) >= end - 1n) pending.delete(batch.partition);
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
