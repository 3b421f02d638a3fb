import type { IHeaders } from 'kafkajs';
import type { DeadLetter, DirtyUsers, PopularityIncrement, PopularityStore, UserStateStore, VectorStore } from '../domain/ports/index.js';
import type { FoldParams, InteractionEvent, UserState, Watermark } from '../domain/types.js';
import { foldEvents, type FoldInput } from '../domain/fold.js';
import { InterestStreamError, isInterestStreamError, toInterestStreamError } from '../domain/errors.js';
import { decodeInteraction } from '../core/events.js';
import { timestampProblem, type EventTimeBounds } from '../domain/event-time.js';
import type { Logger } from '../core/logger.js';
import { recordFor } from '../core/history-records.js';
import { splitAtWindows, type Boundary, type HistoryEmitter } from './history-boundaries.js';
import type { ItemVectors } from './item-vectors.js';
import type { IngestMetrics } from './metrics.js';
import { loadUserStates } from './state-loader.js';
import { sameWatermark, type StateTrust } from './state-trust.js';
import type { CorruptStateReport } from './stored-states.js';
import { splitForParking, type ParkingLot } from './parked-events.js';
import { OpenedBatch, type EventOpener } from '../domain/shred/shredding.js';
import type { ErasureFinisher, FoldedErase } from './erasure-finisher.js';
import { pass } from '../core/gates.js';

/** One Kafka record as the processor needs it (the consumer adapter translates kafkajs' type). */
export interface RawRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

export interface BatchDeps {
  readonly states: UserStateStore;
  readonly store: VectorStore;
  readonly usersCollection: string;
  readonly items: ItemVectors;
  readonly popularity?: PopularityStore;
  readonly params: FoldParams;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  /** Sends dead letters; must resolve before the batch's offsets are committed. */
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
  /** States folded by this process but not yet durable (DurableWriter.get), for rehydration. */
  readonly unflushed?: (userIds: readonly string[]) => Map<string, UserState>;
  /** Snapshots of event-time windows that close inside a batch (history); none when absent. */
  readonly history?: HistoryEmitter;
  /** Attempts of the compare-and-set loop before the batch fails (and is redelivered). */
  readonly casAttempts?: number;
  /** Where written users are marked for the snapshotter; absent, no interest snapshots are taken. */
  readonly dirty?: Pick<DirtyUsers, 'mark'>;
  /** Which Redis states may be used without a durable read (state-trust.ts); absent, all are. */
  readonly trust?: StateTrust;
  /** Events stamped outside these bounds go to the DLQ as INVALID_TIMESTAMP; none checked when absent. */
  readonly eventTime?: EventTimeBounds;
  /** Undecodable durable states are reported here and the user starts afresh; absent, they throw. */
  readonly onCorruptState?: CorruptStateReport;
  /** Where events whose item is unknown wait (UNKNOWN_ITEM_PARK_MS); absent, they go to the DLQ at once. */
  readonly parking?: ParkingLot;
  /** Opens sealed events (ERASURE_MODE=shred); absent, a sealed event is undecodable (DECODE_FAILED, ciphertext kept). */
  readonly opener?: EventOpener;
  /** Finishes the erasures a batch folded (purge, history tombstones, completion); absent, nothing beyond the fold. */
  readonly erasures?: Pick<ErasureFinisher, 'finish'>;
  /** Erase markers of users no store knows yet (a replay into a new generation): they start as the tombstone. */
  readonly markers?: (userIds: readonly string[]) => Promise<Map<string, UserState>>;
}

/**
 * How a batch treats events whose item is unknown: park them (the default), park them again keeping
 * their park clock (a retry), or dead-letter them (`false`: UNKNOWN_ITEM_PARK_MS has passed).
 */
export type ParkMode = 'park' | { readonly since: number; readonly attempts: number } | false;

interface Pending {
  readonly event: InteractionEvent;
  readonly record: RawRecord;
  readonly watermark: Watermark;
}

type FoldItem = FoldInput & { readonly record: RawRecord };

interface UserFold {
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

export interface BatchResult {
  /**
   * The final state of every user of the batch — changed or not: after a crash between the Redis
   * write and the durable write, the redelivered batch changes nothing, yet must still be written.
   */
  readonly states: readonly UserState[];
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  readonly users: number;
}

/**
 * Folds one batch of interaction records into user state, effectively once:
 * decode -> group by user -> load state (Redis, else the durable store) -> fold in offset order ->
 * history records of closed windows -> compare-and-set into Redis (refold on conflict) -> dead
 * letters. The caller hands the returned states to the DurableWriter, which commits the batch's
 * offsets once they are durable.
 */
export class BatchProcessor {
  constructor(private readonly deps: BatchDeps) {}

  async process(topic: string, records: readonly RawRecord[], park: ParkMode = 'park'): Promise<BatchResult> {
    await pass('ingest:batch', () => records.map((r) => r.key?.toString() ?? ''));
    const started = performance.now();
    const dead: DeadLetter[] = [];
    const opened = this.deps.opener ? await this.deps.opener.prepare(records.map((r) => r.value)) : new OpenedBatch(new Map());
    const byUser = this.decodeAndGroup(records, opened, (record, error) => dead.push(deadLetter(topic, record, error)));
    const items = await this.deps.items.getMany(neededItems(byUser));
    this.parkUnknown(topic, byUser, items, park);
    // Taken after parking: a parked ERASE is not folded yet, and its key must outlive it.
    const sealedErases = !this.deps.opener ? [] : [...byUser.values()].flatMap((list) => list.filter((p) => p.event.type === 'ERASE').flatMap((p) => opened.sealedUnder(p.record.value) ?? []));
    const { states, expected } = await this.loadStates([...byUser.keys()]);
    const folds = new Map<string, UserFold>();
    for (const [userId, base] of states) folds.set(userId, this.foldUser(topic, base, byUser.get(userId)!, items));
    // Popularity is independent of the user states: it goes to Redis while they are written.
    const popularity = [...folds.values()].flatMap((f) => f.popularity);
    await Promise.all([
      (async () => {
        await this.emitBoundaries([...folds.values()]);
        await this.writeStates(folds, states, expected, (userId, base) => this.foldUser(topic, base, byUser.get(userId)!, items));
        // Every user of the batch, not only the changed ones: a batch redelivered after a crash between
        // the compare-and-set and this mark changes nothing the second time, yet must still mark.
        // Not an erased user: there is nothing to snapshot, and the erasure purges their history.
        await this.deps.dirty?.mark([...folds.values()].map((f) => f.state).filter((st) => !st.erased));
        await this.deps.erasures?.finish([...folds.values()].flatMap((f) => f.erases));
      })(),
      this.deps.popularity && popularity.length > 0 ? this.deps.popularity.record(popularity) : undefined,
    ]);
    const all = [...folds.values()];
    dead.push(...all.flatMap((f) => f.dead));
    // A sealed event's letter keeps its ciphertext and seals its reason: deleting the key shreds it too.
    await this.deps.deadLetter(dead.map((d) => ({ ...d, ...opened.letter(d.value, d.headers, d.error) })));
    // Folded and written: the sealed ERASEs' own keys go too, and with them the last readable trace.
    if (sealedErases.length > 0) await this.deps.opener?.forgetErases(sealedErases);
    this.record(records.length, all, dead, performance.now() - started);
    return {
      states: all.map((f) => f.state),
      applied: sum(all, (f) => f.applied),
      duplicates: sum(all, (f) => f.duplicates),
      deadLettered: dead.length,
      users: folds.size,
    };
  }

  /**
   * Takes out of `byUser` each user's events from the first one whose item is unknown (or all of
   * them, when the user already waits), and parks them; the user's earlier events fold now.
   */
  private parkUnknown(topic: string, byUser: Map<string, Pending[]>, items: ReadonlyMap<string, Float32Array>, mode: ParkMode): void {
    const lot = this.deps.parking;
    if (!lot?.enabled || mode === false) return;
    const now = Date.now();
    for (const [userId, list] of byUser) {
      const partition = list[0]!.record.partition;
      const { fold, park } = splitForParking(list, lot.isParked(topic, partition, userId), (id) => items.has(id));
      if (park.length === 0) continue;
      const records = park.map((p) => p.record);
      if (mode === 'park') lot.park(topic, partition, userId, records, now);
      else lot.repark(topic, partition, userId, records, mode.since, mode.attempts, now);
      if (fold.length === 0) byUser.delete(userId);
      else byUser.set(userId, fold);
    }
  }

  private decodeAndGroup(records: readonly RawRecord[], opened: OpenedBatch, fail: (r: RawRecord, e: InterestStreamError) => void): Map<string, Pending[]> {
    const byUser = new Map<string, Pending[]>();
    let shredded = 0;
    for (const record of records) {
      try {
        if (record.value === null) throw new InterestStreamError('DECODE_FAILED', 'message has no value (tombstone records are not events)');
        const plain = opened.plain(record.value);
        if (plain === undefined) {
          shredded++;
          continue;
        }
        const event = decodeInteraction(plain);
        const badTime = this.deps.eventTime && timestampProblem(event.occurredAt, Date.now(), this.deps.eventTime);
        if (badTime) throw badTime;
        const list = byUser.get(event.userId);
        const p = { event, record, watermark: { partition: record.partition, offset: record.offset } };
        if (list) list.push(p);
        else byUser.set(event.userId, [p]);
      } catch (e) {
        fail(record, toInterestStreamError(e, 'DECODE_FAILED'));
      }
    }
    this.countShredded(shredded);
    return byUser;
  }

  /** A trusted Redis state, else the newest of Redis, unflushed and durable (state-loader.ts). */
  private loadStates(userIds: string[]): Promise<{ states: Map<string, UserState>; expected: Map<string, Watermark | null> }> {
    return loadUserStates(this.deps, userIds);
  }

  /**
   * Folds one user's events of this batch in offset order, one `foldEvents` call per event-time
   * window they fall in (the de-duplication index is built once per call, not per event). The
   * state reached at each window boundary becomes that window's history record. An event the fold
   * rejects becomes a dead letter and its window's events are folded again without it.
   */
  private foldUser(topic: string, base: UserState, pending: readonly Pending[], items: ReadonlyMap<string, Float32Array>): UserFold {
    const fold: UserFold = { base, state: base, applied: 0, duplicates: 0, outcomes: [], dead: [], popularity: [], boundaries: [], erases: [] };
    const inputs: FoldItem[] = [];
    for (const p of pending) {
      const needsItem = p.event.type === 'VIEW' || p.event.type === 'DISLIKE';
      const item = needsItem ? items.get(p.event.itemId) : null;
      if (needsItem && !item) {
        const e = new InterestStreamError('UNKNOWN_ITEM', `item ${JSON.stringify(p.event.itemId)} is not in the catalogue`, { details: { itemId: p.event.itemId } });
        fold.dead.push(deadLetter(topic, p.record, e));
      } else {
        inputs.push({ event: p.event, item: item ?? null, watermark: p.watermark, record: p.record });
      }
    }
    const history = this.deps.history;
    const segments = history ? splitAtWindows(base.lastEventAt, inputs, history.intervalMs) : [{ inputs }];
    for (const segment of segments) {
      this.foldSegment(topic, fold, segment.inputs);
      if (history && segment.closes !== undefined) {
        const record = recordFor(fold.state, segment.closes, history.generation, history.intervalMs);
        if (record) fold.boundaries.push({ window: segment.closes, record, watermark: fold.state.watermark });
      }
    }
    return fold;
  }

  private foldSegment(topic: string, fold: UserFold, segment: FoldItem[]): void {
    let inputs = segment;
    for (;;) {
      try {
        const batch = foldEvents(fold.state, inputs, this.deps.params);
        fold.state = batch.state;
        batch.outcomes.forEach((outcome, i) => {
          const { event } = inputs[i]!;
          fold.outcomes.push({ type: event.type, outcome });
          if (outcome === 'duplicate' || outcome === 'stale') fold.duplicates++;
          else fold.applied++;
          if (event.type === 'ERASE') fold.erases.push({ erasureId: event.eventId, userId: event.userId, watermark: inputs[i]!.watermark, at: event.occurredAt });
          if (event.type === 'VIEW' && (outcome === 'applied' || outcome === 'degenerate')) {
            fold.popularity.push({ itemId: event.itemId, weight: event.weight, at: event.occurredAt });
          }
        });
        return;
      } catch (e) {
        const index = isInterestStreamError(e) && !e.retryable ? e.details.eventIndex : undefined;
        if (typeof index !== 'number') throw e;
        fold.dead.push(deadLetter(topic, inputs[index]!.record, e as InterestStreamError));
        inputs = inputs.filter((_, i) => i !== index);
      }
    }
  }

  /**
   * Sends the window-boundary snapshots of these folds, except windows the snapshotter already has
   * (an idle user's closed window). Sent before the state is written: a crash in between replays
   * the batch, which folds to the same states and sends byte-identical records again.
   */
  private async emitBoundaries(folds: readonly UserFold[]): Promise<void> {
    const history = this.deps.history;
    const withBoundaries = folds.filter((f) => f.boundaries.length > 0);
    if (!history || withBoundaries.length === 0) return;
    const emitted = await history.emitted(withBoundaries.map((f) => f.state.userId));
    const records = withBoundaries.flatMap((f) => f.boundaries.filter((b) => b.window > (emitted.get(f.state.userId) ?? -1)).map((b) => b.record));
    await history.send(records);
    this.deps.metrics.historyRecords.inc(records.length);
  }

  /**
   * Compare-and-set every changed user. A conflict means another consumer (a zombie after a
   * rebalance, or a replay) wrote the user meanwhile: re-read it and fold this batch's events on top;
   * the watermark makes the already-applied ones stale.
   */
  private async writeStates(
    folds: Map<string, UserFold>,
    bases: Map<string, UserState>,
    expected: Map<string, Watermark | null>,
    refold: (userId: string, base: UserState) => UserFold,
  ): Promise<void> {
    // A base that is not what Redis holds (rehydrated, or newer than a rewound Redis) is written even if unchanged.
    const mustWrite = (id: string) => folds.get(id)!.state !== folds.get(id)!.base || !sameWatermark(folds.get(id)!.base.watermark, expected.get(id) ?? null);
    let todo = [...folds.keys()].filter(mustWrite);
    const attempts = this.deps.casAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const outcomes = todo.length === 0 ? [] : await this.deps.states.casMany(todo.map((id) => ({ state: folds.get(id)!.state, expected: expected.get(id) ?? null })));
      const conflicts = todo.filter((_, i) => !outcomes[i]!.ok);
      if (conflicts.length === 0) {
        // Every user of the batch now holds in Redis a state this process wrote or checked.
        this.deps.trust?.remember([...folds.values()].map((f) => f.state));
        return;
      }
      this.deps.metrics.casConflicts.inc(conflicts.length);
      if (attempt >= attempts) {
        throw new InterestStreamError('CONFLICT', `compare-and-set kept failing for ${conflicts.length} users after ${attempts} attempts`);
      }
      const { states: fresh, expected: freshExpected } = await this.loadStates(conflicts);
      for (const id of conflicts) {
        bases.set(id, fresh.get(id)!);
        expected.set(id, freshExpected.get(id) ?? null);
        folds.set(id, refold(id, fresh.get(id)!));
      }
      await this.emitBoundaries(conflicts.map((id) => folds.get(id)!));
      todo = conflicts.filter(mustWrite);
    }
  }

  /** Events whose user's key is gone (erased): skipped, never dead-lettered. */
  private countShredded(count: number): void {
    if (count === 0) return;
    this.deps.metrics.shredded.inc(count);
    this.deps.logger.debug({ count }, 'sealed events skipped: their user key is gone (erased)');
  }

  private record(size: number, folds: readonly UserFold[], dead: readonly DeadLetter[], ms: number): void {
    const m = this.deps.metrics;
    m.batchSize.observe(size);
    m.foldSeconds.observe(ms / 1000);
    for (const f of folds) for (const o of f.outcomes) m.events.inc(o);
    for (const d of dead) m.deadLetters.inc({ reason: d.error.code });
    if (dead.length > 0) this.deps.logger.warn({ count: dead.length, reasons: [...new Set(dead.map((d) => d.error.code))] }, 'events sent to the dead-letter topic');
  }
}

function deadLetter(topic: string, record: RawRecord, error: InterestStreamError): DeadLetter {
  return { topic, partition: record.partition, offset: record.offset, key: record.key, value: record.value, headers: record.headers, error };
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  return xs.reduce((acc, x) => acc + f(x), 0);
}
function neededItems(byUser: ReadonlyMap<string, readonly Pending[]>): Set<string> {
  const ids = new Set<string>();
  for (const list of byUser.values()) {
    for (const p of list) if (p.event.type === 'VIEW' || p.event.type === 'DISLIKE') ids.add(p.event.itemId);
  }
  return ids;
}
