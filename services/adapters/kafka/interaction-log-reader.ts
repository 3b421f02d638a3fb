/**
 * Reads the interactions topic from its earliest offset up to the end it had when reading began,
 * for an offline replay (`interest-stream evaluate`). It joins no ingest consumer group and commits
 * nothing: a throw-away group id reads, and is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { decodeInteraction } from '../../core/events.js';
import type { InteractionEvent, Watermark } from '../../domain/types.js';

export interface LoggedEvent {
  readonly event: InteractionEvent;
  readonly watermark: Watermark;
}

export interface InteractionLog {
  /** Every partition's events in offset order, merged by event time (see mergeByEventTime). */
  readonly events: LoggedEvent[];
  /** Messages that did not decode or validate: ingest dead-letters them. */
  readonly undecodable: number;
}

/** Reads `topic` in full; `onProgress(read, total)` is called as messages arrive. */
export async function readInteractionLog(kafka: Kafka, topic: string, onProgress: (read: number, total: number) => void = () => {}): Promise<InteractionLog> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `interest-stream-evaluate-${randomUUID()}`;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
    const total = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
    const partitions = new Map<number, LoggedEvent[]>(offsets.map((o) => [o.partition, []]));
    let undecodable = 0;
    let read = 0;
    if (total > 0) {
      undecodable = await consumeUntil(kafka, groupId, topic, ends, (partition, offset, value) => {
        onProgress(++read, total);
        try {
          if (value === null) return false;
          partitions.get(partition)!.push({ event: decodeInteraction(value), watermark: { partition, offset } });
          return true;
        } catch {
          return false;
        }
      });
    }
    return { events: mergeByEventTime([...partitions.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)), undecodable };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Runs a consumer until every partition has delivered its message at `high − 1`; returns how many `take` refused. */
async function consumeUntil(
  kafka: Kafka,
  groupId: string,
  topic: string,
  ends: ReadonlyMap<number, { low: bigint; high: bigint }>,
  take: (partition: number, offset: string, value: Buffer | null) => boolean,
): Promise<number> {
  const pending = new Set([...ends].filter(([, e]) => e.high > e.low).map(([p]) => p));
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let refused = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition)!.high;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              if (!take(batch.partition, m.offset, m.value)) refused++;
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
  return refused;
}

/**
 * One sequence from per-partition sequences: always the head with the earliest event time (ties:
 * the lower partition). Each partition keeps its offset order — a user's events stay in the order
 * ingest folds them — while users on different partitions interleave as they happened.
 */
export function mergeByEventTime<T extends { event: { occurredAt: number } }>(partitions: readonly T[][]): T[] {
  const heads = partitions.map(() => 0);
  const total = partitions.reduce((n, p) => n + p.length, 0);
  const out: T[] = [];
  while (out.length < total) {
    let best = -1;
    for (let p = 0; p < partitions.length; p++) {
      const head = partitions[p]![heads[p]!];
      if (head !== undefined && (best < 0 || head.event.occurredAt < partitions[best]![heads[best]!]!.event.occurredAt)) best = p;
    }
    out.push(partitions[best]![heads[best]!++]!);
  }
  return out;
}
