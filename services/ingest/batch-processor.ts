import type { DirtyUsers, DeadLetter, PopularityStore, UserStateStore, VectorStore } from '../domain/ports/index.js';
import type { FoldParams, UserState, Watermark } from '../domain/types.js';
import type { LogRecord } from '../domain/log-records.js';
import { InterestStreamError } from '../domain/errors.js';
import type { EventTimeBounds } from '../domain/event-time.js';
import type { Logger } from '../core/logger.js';
import type { HistoryEmitter } from '../domain/ports/index.js';
import type { ItemVectors } from './item-vectors.js';
import type { IngestMetrics } from './metrics.js';
import { loadUserStates } from './state-loader.js';
import { sameWatermark, type StateTrust } from './state-trust.js';
import type { CorruptStateReport } from './stored-states.js';
import { splitForParking, type ParkingLot } from './parked-events.js';
import { OpenedBatch, type EventOpener } from '../domain/shred/shredding.js';
import type { ErasureFinisher } from './erasure-finisher.js';
import { pass } from '../core/gates.js';
import { decodeAndGroup, neededItems } from './batch-decoding.js';
import { deadLetter, foldUser, type Pending, type UserFold, type UserFoldContext } from './user-fold.js';

/** One record as the processor reads it (the consumer adapter translates the client's type). */
export type RawRecord = LogRecord;

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

/** Folds one user's events of the batch again on another base state (after a compare-and-set conflict). */
type Refold = (userId: string, base: UserState) => UserFold;

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
    const { byUser, shredded } = decodeAndGroup(records, opened, this.deps.eventTime, (record, error) => dead.push(deadLetter(topic, record, error)));
    this.countShredded(shredded);
    const items = await this.deps.items.getMany(neededItems(byUser));
    this.parkUnknown(topic, byUser, items, park);
    // Taken after parking: a parked ERASE is not folded yet, and its key must outlive it.
    const sealedErases = !this.deps.opener ? [] : [...byUser.values()].flatMap((list) => list.filter((p) => p.event.type === 'ERASE').flatMap((p) => opened.sealedUnder(p.record.value) ?? []));
    const ctx: UserFoldContext = { topic, items, params: this.deps.params, history: this.deps.history };
    const refold = (userId: string, base: UserState) => foldUser(ctx, base, byUser.get(userId)!);
    const { states, expected } = await this.loadStates([...byUser.keys()]);
    const folds = new Map<string, UserFold>();
    for (const [userId, base] of states) folds.set(userId, refold(userId, base));
    await this.persist(folds, states, expected, refold);
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
   * Writes what the folds produced: history boundaries, then the states, then the dirty marks and
   * the erasures they finish. Popularity is independent of the user states: it goes to Redis while
   * they are written.
   */
  private async persist(folds: Map<string, UserFold>, bases: Map<string, UserState>, expected: Map<string, Watermark | null>, refold: Refold): Promise<void> {
    const popularity = [...folds.values()].flatMap((f) => f.popularity);
    await Promise.all([
      (async () => {
        await this.emitBoundaries([...folds.values()]);
        await this.writeStates(folds, bases, expected, refold);
        // Every user of the batch, not only the changed ones: a batch redelivered after a crash between
        // the compare-and-set and this mark changes nothing the second time, yet must still mark.
        // Not an erased user: there is nothing to snapshot, and the erasure purges their history.
        await this.deps.dirty?.mark([...folds.values()].map((f) => f.state).filter((st) => !st.erased));
        await this.deps.erasures?.finish([...folds.values()].flatMap((f) => f.erases));
      })(),
      this.deps.popularity && popularity.length > 0 ? this.deps.popularity.record(popularity) : undefined,
    ]);
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

  /** A trusted Redis state, else the newest of Redis, unflushed and durable (state-loader.ts). */
  private loadStates(userIds: string[]): Promise<{ states: Map<string, UserState>; expected: Map<string, Watermark | null> }> {
    return loadUserStates(this.deps, userIds);
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
    refold: Refold,
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

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  return xs.reduce((acc, x) => acc + f(x), 0);
}
