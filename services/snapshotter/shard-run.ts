import { pass } from '../core/gates.js';
import type { Logger } from '../core/logger.js';
import { formatWatermark } from '../core/user-state-codec.js';
import type { Claim, DirtyEntry, DirtyUsers, ShardHistoryWriter, ShardLeases, SnapshotClaims, UserStateStore } from '../domain/ports/index.js';
import { frameRecord, historyMessage, recordFor, unframeRecords, windowOf, type HistoryRecord } from '../core/history-records.js';
import type { SnapshotterMetrics } from './metrics.js';

export interface ShardRunDeps {
  readonly dirty: DirtyUsers;
  readonly states: UserStateStore;
  readonly claims: SnapshotClaims;
  readonly leases: ShardLeases;
  readonly generation: string;
  /** Length of an event-time window. */
  readonly intervalMs: number;
  /** Snapshot keys per user and generation in the compacted history topic (HISTORY_SIZE; core/history-records.ts historyMessage). */
  readonly slots: number;
  /** Users read, claimed and sent per Kafka transaction. */
  readonly batchSize: number;
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: SnapshotterMetrics;
}

export interface ShardRunTally {
  /** Records committed to the topic (snapshots, erase markers and resent pending ones). */
  sent: number;
  /** Dirty users whose state had not changed since their last snapshot. */
  unchanged: number;
  /** Users whose window is still open, or already snapshotted: they wait (and stay marked). */
  deferred: number;
}

/** How a shard run ended: covered every dirty user, was asked to stop, or lost its lease. */
export type ShardRunEnd = 'complete' | 'stopped' | 'lease-lost';

/** A state that moved between read and claim is read again this many times within one chunk. */
const MOVED_RETRIES = 3;

/**
 * Snapshots one shard's dirty users whose event-time window is closed (before `window`, the pass's
 * window), one chunk at a time: read states -> claim each user
 * (Lua, atomic with the user's watermark) -> send the claimed records in one Kafka transaction ->
 * confirm the claims -> clear the dirty marks the snapshot covered. A crash anywhere leaves either
 * the dirty mark (not yet claimed) or a pending claim (resent as is by whoever resumes).
 */
export async function runShard(
  deps: ShardRunDeps,
  writer: ShardHistoryWriter,
  shard: number,
  window: number,
  shouldStop: () => boolean,
): Promise<{ end: ShardRunEnd; tally: ShardRunTally }> {
  const tally: ShardRunTally = { sent: 0, unchanged: 0, deferred: 0 };
  let cursor = '0';
  do {
    if (shouldStop()) return { end: 'stopped', tally };
    const page = await deps.dirty.scan(shard, cursor, deps.batchSize);
    cursor = page.cursor;
    await snapshotChunk(deps, writer, shard, window, page.entries, tally);
    if (!(await deps.leases.renew(shard))) return { end: 'lease-lost', tally };
  } while (cursor !== '0');
  return { end: 'complete', tally };
}

interface Outcome {
  readonly entry: DirtyEntry;
  /** The state's watermark as read, '' when there is no state. */
  readonly read: string;
  readonly claim: Claim | { readonly status: 'skip' } | { readonly status: 'open' };
}

async function snapshotChunk(deps: ShardRunDeps, writer: ShardHistoryWriter, shard: number, window: number, entries: readonly DirtyEntry[], tally: ShardRunTally): Promise<void> {
  let todo = entries;
  for (let attempt = 0; attempt < MOVED_RETRIES && todo.length > 0; attempt++) {
    const outcomes = await claimAll(deps, window, todo);
    const sends = outcomes.flatMap((o) => (o.claim.status === 'send' ? [{ userId: o.entry.userId, claim: o.claim }] : []));
    const records = sends.flatMap((s) => unframeRecords(s.userId, s.claim.records));
    await pass('snapshot:send', () => sends.map((s) => s.userId));
    await writer.commit(records.map((r) => historyMessage(r, deps.slots)));
    const confirmed = await Promise.all(sends.map((s) => deps.claims.confirm(s.userId, deps.leases.token, s.claim.window)));
    await retractErased(deps, writer, sends.filter((_, i) => !confirmed[i]));
    tally.sent += records.length;
    tally.unchanged += outcomes.filter((o) => o.claim.status === 'unchanged').length;
    tally.deferred += outcomes.filter((o) => o.claim.status === 'done' || o.claim.status === 'open').length;
    countChunk(deps.metrics, outcomes, records);
    await deps.dirty.clear(shard, outcomes.filter(covered).map((o) => o.entry));
    todo = outcomes.filter((o) => o.claim.status === 'moved').map((o) => o.entry);
  }
  if (todo.length > 0) {
    deps.metrics.users.inc({ outcome: 'kept_moving' }, todo.length);
    deps.logger.warn({ shard, users: todo.length }, 'user states kept moving during the snapshot; they stay dirty');
  }
}

/** The `outcome` label of each claim status; a moved state is read again, and counted only if it keeps moving. */
const OUTCOME_LABELS: Record<Exclude<Outcome['claim']['status'], 'moved'>, string> = {
  send: 'snapshotted',
  unchanged: 'unchanged',
  open: 'window_open',
  done: 'already_snapshotted',
  skip: 'nothing_to_snapshot',
};

/** Counts a committed chunk: each user's outcome, and the records by kind. */
function countChunk(metrics: SnapshotterMetrics, outcomes: readonly Outcome[], records: readonly HistoryRecord[]): void {
  for (const { claim } of outcomes) if (claim.status !== 'moved') metrics.users.inc({ outcome: OUTCOME_LABELS[claim.status] });
  const erases = records.filter((r) => r.value === null).length;
  if (records.length > erases) metrics.records.inc({ kind: 'snapshot' }, records.length - erases);
  if (erases > 0) metrics.records.inc({ kind: 'erase' }, erases);
}

/**
 * True when the user's dirty mark may go: nothing to snapshot, or the records sent carry the state
 * as read (a resent pending snapshot of an older state leaves the newer change marked).
 */
function covered(o: Outcome): boolean {
  if (o.claim.status === 'skip' || o.claim.status === 'unchanged') return true;
  return o.claim.status === 'send' && o.claim.watermark === o.read;
}

async function claimAll(deps: ShardRunDeps, passWindow: number, entries: readonly DirtyEntry[]): Promise<Outcome[]> {
  const states = await deps.states.getMany(entries.map((e) => e.userId));
  return Promise.all(
    entries.map(async (entry): Promise<Outcome> => {
      const state = states.get(entry.userId);
      const read = formatWatermark(state?.watermark ?? null);
      const window = state ? windowOf(state.lastEventAt, deps.intervalMs) : 0;
      // Events stamped in an open window may still come: its snapshot waits, and the mark stays.
      if (state && window >= passWindow) return { entry, read, claim: { status: 'open' } };
      // No state: the user was deleted (their ERASE, when ingested, marks them again). No vector: nothing to snapshot yet.
      const record = state ? recordFor(state, window, deps.generation, deps.intervalMs) : null;
      if (!state || !record) return { entry, read: '', claim: { status: 'skip' } };
      const claim = await deps.claims.claim(entry.userId, window, read, deps.leases.token, frameRecord(record));
      return { entry, read, claim };
    }),
  );
}

/**
 * A claim that cannot be confirmed may have been deleted by an erasure's purge while its snapshot
 * was on the way: the snapshot then landed after the erasure's tombstones. For each such user who
 * is now erased, tombstone the keys just sent again, so compaction still removes them.
 */
async function retractErased(deps: ShardRunDeps, writer: ShardHistoryWriter, unconfirmed: ReadonlyArray<{ userId: string; claim: { records: Buffer } }>): Promise<void> {
  if (unconfirmed.length === 0) return;
  const states = await deps.states.getMany(unconfirmed.map((u) => u.userId));
  const keys = unconfirmed
    .filter((u) => states.get(u.userId)?.erased === true)
    .flatMap((u) => unframeRecords(u.userId, u.claim.records).filter((r) => r.value !== null).map((r) => historyMessage(r, deps.slots).key));
  if (keys.length > 0) deps.logger.info({ keys: keys.length }, 'snapshots sent during an erasure tombstoned again');
  await writer.commit(keys.map((key) => ({ key, value: null })));
}
