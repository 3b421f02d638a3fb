/**
 * Reads the interactions topic from its earliest offset up to the end it had when reading began,
 * for an offline replay (`interest-stream evaluate`). It joins no ingest consumer group and commits
 * nothing (topic-reader.ts).
 */
import type { Kafka } from 'kafkajs';
import { decodeInteraction } from '../../core/events.js';
import { readTopicToEnd } from './topic-reader.js';
import type { InteractionEvent, Watermark } from '../../domain/types.js';
import { OpenedBatch, type EventOpener } from '../../domain/shred/shredding.js';

export interface LoggedEvent {
  readonly event: InteractionEvent;
  readonly watermark: Watermark;
}

export interface InteractionLog {
  /** Every partition's events in offset order, merged by event time (see mergeByEventTime). */
  readonly events: LoggedEvent[];
  /** Messages that did not decode or validate: ingest dead-letters them. */
  readonly undecodable: number;
  /** Sealed events whose user key is gone (erased users): ingest skips them too. */
  readonly shredded: number;
}

/**
 * Reads `topic` in full (topic-reader.ts); `onProgress(read, total)` is called as messages arrive.
 * Sealed events (ERASURE_MODE=shred) are opened with `opener`'s keys, fetched once at the end.
 */
export async function readInteractionLog(
  kafka: Kafka,
  topic: string,
  onProgress: (read: number, total: number) => void = () => {},
  opener?: EventOpener,
): Promise<InteractionLog> {
  const raw: Array<{ partition: number; offset: string; value: Buffer | null }> = [];
  await readTopicToEnd(kafka, topic, ({ partition, offset, value }) => void raw.push({ partition, offset, value }), { groupPrefix: 'interest-stream-evaluate', onProgress });
  const opened = opener ? await opener.prepare(raw.map((r) => r.value)) : new OpenedBatch(new Map());
  const partitions = new Map<number, LoggedEvent[]>();
  let undecodable = 0;
  let shredded = 0;
  for (const { partition, offset, value } of raw) {
    try {
      if (value === null) throw new Error('tombstone');
      const plain = opened.plain(value);
      if (plain === undefined) {
        shredded++;
        continue;
      }
      const events = partitions.get(partition) ?? [];
      events.push({ event: decodeInteraction(plain), watermark: { partition, offset } });
      partitions.set(partition, events);
    } catch {
      undecodable++;
    }
  }
  return { events: mergeByEventTime([...partitions.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)), undecodable, shredded };
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
