import type { DeadLetter, PopularityIncrement } from '../domain/ports/index.js';
import type { FoldParams, InteractionEvent, UserState, Watermark } from '../domain/types.js';
import type { LogRecord } from '../domain/log-records.js';
import { foldEvents, type FoldInput, type FoldOutcome } from '../domain/fold.js';
import { InterestStreamError, isInterestStreamError } from '../domain/errors.js';
import { recordFor } from '../core/history-records.js';
import type { HistoryEmitter } from '../domain/ports/index.js';
import { splitAtWindows, type Boundary } from './history-boundaries.js';
import type { FoldedErase } from './erasure-finisher.js';

/** One decoded event of a batch, with the record it came from. */
export interface Pending {
  readonly event: InteractionEvent;
  readonly record: LogRecord;
  readonly watermark: Watermark;
}

type FoldItem = FoldInput & { readonly record: LogRecord };

/** One user's batch folded: the state reached, and everything the fold produced on the way. */
export interface UserFold {
  readonly base: UserState;
  state: UserState;
  applied: number;
  duplicates: number;
  /** States that closed an event-time window inside the batch, as history records. */
  readonly boundaries: Boundary[];
  readonly outcomes: Array<{ type: string; outcome: string }>;
  readonly dead: DeadLetter[];
  readonly popularity: PopularityIncrement[];
  readonly erases: FoldedErase[];
}

/** What folding a user's events needs: the catalogue vectors, the fold's parameters, and history windows (if any). */
export interface UserFoldContext {
  readonly topic: string;
  readonly items: ReadonlyMap<string, Float32Array>;
  readonly params: FoldParams;
  readonly history?: Pick<HistoryEmitter, 'generation' | 'intervalMs'>;
}

/**
 * Folds one user's events of this batch in offset order, one `foldEvents` call per event-time
 * window they fall in (the de-duplication index is built once per call, not per event). The
 * state reached at each window boundary becomes that window's history record. An event the fold
 * rejects becomes a dead letter and its window's events are folded again without it.
 */
export function foldUser(ctx: UserFoldContext, base: UserState, pending: readonly Pending[]): UserFold {
  const fold: UserFold = { base, state: base, applied: 0, duplicates: 0, outcomes: [], dead: [], popularity: [], boundaries: [], erases: [] };
  const inputs: FoldItem[] = [];
  for (const p of pending) {
    const needsItem = p.event.type === 'VIEW' || p.event.type === 'DISLIKE';
    const item = needsItem ? ctx.items.get(p.event.itemId) : null;
    if (needsItem && !item) {
      const e = new InterestStreamError('UNKNOWN_ITEM', `item ${JSON.stringify(p.event.itemId)} is not in the catalogue`, { details: { itemId: p.event.itemId } });
      fold.dead.push(deadLetter(ctx.topic, p.record, e));
    } else {
      inputs.push({ event: p.event, item: item ?? null, watermark: p.watermark, record: p.record });
    }
  }
  const history = ctx.history;
  const segments = history ? splitAtWindows(base.lastEventAt, inputs, history.intervalMs) : [{ inputs }];
  for (const segment of segments) {
    foldSegment(ctx, fold, segment.inputs);
    if (history && segment.closes !== undefined) {
      const record = recordFor(fold.state, segment.closes, history.generation, history.intervalMs);
      if (record) fold.boundaries.push({ window: segment.closes, record, watermark: fold.state.watermark });
    }
  }
  return fold;
}

function foldSegment(ctx: UserFoldContext, fold: UserFold, segment: FoldItem[]): void {
  let inputs = segment;
  for (;;) {
    try {
      const batch = foldEvents(fold.state, inputs, ctx.params);
      fold.state = batch.state;
      batch.outcomes.forEach((outcome, i) => tally(fold, inputs[i]!, outcome));
      return;
    } catch (e) {
      const index = isInterestStreamError(e) && !e.retryable ? e.details.eventIndex : undefined;
      if (typeof index !== 'number') throw e;
      fold.dead.push(deadLetter(ctx.topic, inputs[index]!.record, e as InterestStreamError));
      inputs = inputs.filter((_, i) => i !== index);
    }
  }
}

/** Counts one event's outcome, and notes what it leaves to do: an erasure to finish, a view for popularity. */
function tally(fold: UserFold, input: FoldItem, outcome: FoldOutcome): void {
  const { event } = input;
  fold.outcomes.push({ type: event.type, outcome });
  if (outcome === 'duplicate' || outcome === 'stale') fold.duplicates++;
  else fold.applied++;
  if (event.type === 'ERASE') fold.erases.push({ erasureId: event.eventId, userId: event.userId, watermark: input.watermark, at: event.occurredAt });
  if (event.type === 'VIEW' && (outcome === 'applied' || outcome === 'degenerate')) {
    fold.popularity.push({ itemId: event.itemId, weight: event.weight, at: event.occurredAt });
  }
}

/** The dead letter of a record: its bytes untouched, and why it could not be applied. */
export function deadLetter(topic: string, record: LogRecord, error: InterestStreamError): DeadLetter {
  return { topic, partition: record.partition, offset: record.offset, key: record.key, value: record.value, headers: record.headers, error };
}
