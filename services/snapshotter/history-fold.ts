import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isInterestStreamError, toInterestStreamError } from '../domain/errors.js';
import { decodeSnapshot } from '../core/events.js';
import type { InterestSnapshot } from '../domain/types.js';
import type { Logger } from '../core/logger.js';
import type { DeadLetter, HistoryStore } from '../domain/ports/index.js';

/** One history-topic record as the fold sees it. */
export type HistoryChange =
  | { readonly kind: 'snapshot'; readonly snapshot: InterestSnapshot }
  | { readonly kind: 'erase'; readonly userId: string }
  /** A tombstone of one snapshot key (`<userId>{<generation>:<slot>}`): for compaction; the user's erase marker does the forgetting. */
  | { readonly kind: 'compaction'; readonly userId: string };

export interface HistoryFoldOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  /** Only snapshots of this generation are kept: several generations may share the topic. */
  readonly generation: string;
  readonly history: HistoryStore;
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
  readonly logger: Logger;
}

/**
 * Folds the history topic into the HistoryStore: a snapshot is appended (idempotent per (userId,
 * window), so a redelivered or resent record changes nothing), an erase marker forgets the user.
 * Offsets are committed after the batch is applied, so the store is a pure function of the topic
 * and a fresh group rebuilds it. The consumer reads committed transactions only (kafkajs default).
 */
export class HistoryFold {
  private consumer: Consumer | undefined;
  private closed: Promise<void> | undefined;

  constructor(private readonly opts: HistoryFoldOptions) {}

  async start(): Promise<void> {
    const consumer = this.opts.kafka.consumer({ groupId: this.opts.groupId, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload, consumer),
    });
  }

  /** Finishes the batch in flight and leaves the group. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.consumer ? this.consumer.disconnect() : Promise.resolve();
    return this.closed;
  }

  private async handleBatch(payload: EachBatchPayload, consumer: Consumer): Promise<void> {
    const { batch, isStale, resolveOffset, heartbeat } = payload;
    if (batch.messages.length === 0 || isStale()) return;
    const dead: DeadLetter[] = [];
    const byUser = new Map<string, HistoryChange[]>();
    for (const m of batch.messages) {
      const change = this.decode(batch.topic, batch.partition, m, dead);
      if (change === null) continue;
      if (change.kind === 'compaction') continue;
      const userId = change.kind === 'erase' ? change.userId : change.snapshot.userId;
      const list = byUser.get(userId);
      if (list) list.push(change);
      else byUser.set(userId, [change]);
    }
    await Promise.all([...byUser.values()].map((changes) => applyInOrder(this.opts.history, changes)));
    await this.opts.deadLetter(dead);
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  /** The change a record carries; null for another generation's snapshot or an undecodable record (dead-lettered). */
  private decode(topic: string, partition: number, m: KafkaMessage, dead: DeadLetter[]): HistoryChange | null {
    try {
      const change = toHistoryChange(m.key, m.value);
      if (change.kind === 'snapshot' && change.snapshot.generation !== this.opts.generation) return null;
      return change;
    } catch (e) {
      if (isInterestStreamError(e) && e.retryable) throw e;
      const error = toInterestStreamError(e, 'DECODE_FAILED');
      this.opts.logger.warn({ topic, partition, offset: m.offset, code: error.code }, 'undecodable history record sent to the dead-letter topic');
      dead.push({ topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers, error });
      return null;
    }
  }
}

/**
 * Decodes a history-topic record: a null value keyed by a user id is that user's erase marker; one
 * keyed by a snapshot key (ids never hold braces) only tells compaction to drop that snapshot.
 */
export function toHistoryChange(key: Buffer | null, value: Buffer | null): HistoryChange {
  if (value !== null) return { kind: 'snapshot', snapshot: decodeSnapshot(value) };
  if (key === null || key.length === 0) throw toInterestStreamError(new Error('erase marker without a user key'), 'DECODE_FAILED');
  const text = key.toString('utf8');
  const brace = text.indexOf('{');
  return brace < 0 ? { kind: 'erase', userId: text } : { kind: 'compaction', userId: text.slice(0, brace) };
}

async function applyInOrder(history: HistoryStore, changes: readonly HistoryChange[]): Promise<void> {
  for (const c of changes) {
    if (c.kind === 'erase') await history.delete(c.userId);
    else if (c.kind === 'snapshot') await history.append(c.snapshot);
  }
}
