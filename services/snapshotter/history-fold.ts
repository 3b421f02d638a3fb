import { isInterestStreamError, toInterestStreamError } from '../domain/errors.js';
import { decodeSnapshot } from '../core/events.js';
import type { InterestSnapshot } from '../domain/types.js';
import type { Logger } from '../core/logger.js';
import type { DeadLetter, HistoryStore } from '../domain/ports/index.js';
import { BatchConsumer, type KafkaConnection } from '../adapters/kafka/batch-consumer.js';
import type { ConsumedRecord, RecordBatch } from '../domain/log-records.js';
import type { HistoryFoldMetrics } from './metrics.js';

/** One history-topic record as the fold sees it. */
export type HistoryChange =
  | { readonly kind: 'snapshot'; readonly snapshot: InterestSnapshot }
  | { readonly kind: 'erase'; readonly userId: string }
  /** A tombstone of one snapshot key (`<userId>{<generation>:<slot>}`): for compaction; the user's erase marker does the forgetting. */
  | { readonly kind: 'compaction'; readonly userId: string };

export interface HistoryFoldOptions {
  readonly kafka: KafkaConnection;
  readonly topic: string;
  readonly groupId: string;
  /** Only snapshots of this generation are kept: several generations may share the topic. */
  readonly generation: string;
  readonly history: HistoryStore;
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
  readonly logger: Logger;
  readonly metrics: HistoryFoldMetrics;
  /** KAFKA_SESSION_TIMEOUT_MS (BatchConsumerOptions.sessionTimeoutMs). */
  readonly sessionTimeoutMs?: number;
}

/** The `kind` label of a folded record: its change, or `other_generation` for another generation's snapshot (skipped). */
type FoldedKind = HistoryChange['kind'] | 'other_generation';

/**
 * Folds the history topic into the HistoryStore: a snapshot is appended (idempotent per (userId,
 * window), so a redelivered or resent record changes nothing), an erase marker forgets the user.
 * Offsets are committed after the batch is applied, so the store is a pure function of the topic
 * and a fresh group rebuilds it. The consumer reads committed transactions only (kafkajs default).
 */
export class HistoryFold {
  private consumer: BatchConsumer | undefined;

  constructor(private readonly opts: HistoryFoldOptions) {}

  async start(): Promise<void> {
    const { kafka, groupId, topic, logger, sessionTimeoutMs } = this.opts;
    const consumer = new BatchConsumer(kafka, { groupId, topic, maxWaitTimeInMs: 500, commits: 'manual', logger, ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }) });
    this.consumer = consumer;
    await consumer.start((batch) => this.handleBatch(batch, consumer));
  }

  /** Finishes the batch in flight and leaves the group. Idempotent. */
  close(): Promise<void> {
    return this.consumer?.close() ?? Promise.resolve();
  }

  private async handleBatch(batch: RecordBatch, consumer: BatchConsumer): Promise<void> {
    const { metrics } = this.opts;
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, batch.lag);
    const stopTimer = metrics.batchSeconds.startTimer();
    const dead: DeadLetter[] = [];
    const kinds = new Map<FoldedKind, number>();
    const byUser = new Map<string, HistoryChange[]>();
    for (const m of batch.records) {
      const change = this.decode(m, dead);
      if (change === null) continue;
      const kind = change === 'other_generation' ? change : change.kind;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      if (change === 'other_generation' || change.kind === 'compaction') continue;
      const userId = change.kind === 'erase' ? change.userId : change.snapshot.userId;
      const list = byUser.get(userId);
      if (list) list.push(change);
      else byUser.set(userId, [change]);
    }
    await Promise.all([...byUser.values()].map((changes) => applyInOrder(this.opts.history, changes)));
    await this.opts.deadLetter(dead);
    const next = (BigInt(batch.lastOffset) + 1n).toString();
    await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    // Counted once committed: a batch that fails is fetched and folded again.
    for (const [kind, count] of kinds) metrics.records.inc({ kind }, count);
    for (const letter of dead) metrics.deadLetters.inc({ reason: letter.error.code });
    stopTimer();
  }

  /** The change a record carries; `other_generation` for another generation's snapshot; null for an undecodable record (dead-lettered). */
  private decode(m: ConsumedRecord, dead: DeadLetter[]): HistoryChange | 'other_generation' | null {
    const { topic, partition } = m;
    try {
      const change = toHistoryChange(m.key, m.value);
      if (change.kind === 'snapshot' && change.snapshot.generation !== this.opts.generation) return 'other_generation';
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
