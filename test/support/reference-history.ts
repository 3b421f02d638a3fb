/**
 * What a user's interest history must hold after a run, computed independently of the snapshotter
 * and ingest from the events as published, by docs/history.md's rules: time is cut into windows of
 * `intervalMs` of event time (`floor(occurredAt / intervalMs)`); each window in which the user had
 * events gets one snapshot, of their state after the last of their events in it (none while the
 * user has no vector yet); the last `historySize` windows are kept, oldest first. States come from the plain reference fold.
 *
 * One documented exception is allowed and counted: an event folded more than SNAPSHOT_LATENESS_MS
 * after its window closed (ingest was behind, e.g. while partitions moved) may miss its window's
 * snapshot, which then holds the state after an earlier event of the same window ("late").
 */
import type { RefEvent } from './reference-fold.js';
import { maxAbsDiff, referenceFold } from './reference-fold.js';

export interface SentEvent extends RefEvent {
  readonly occurredAt: number;
}

/** A snapshot as the history store returns it (the fields that are checked). */
export interface StoredSnapshot {
  readonly window: number;
  readonly eventCount: number;
  readonly vector: Float32Array;
}

/** The reference state after each of one user's events, with that event's window. */
interface Step {
  readonly window: number;
  readonly eventCount: number;
  readonly vector: number[] | null;
}

function stepsOf(events: readonly SentEvent[], items: ReadonlyMap<string, Float32Array>, intervalMs: number): Step[] {
  return events.map((e, i) => {
    const state = referenceFold(events.slice(0, i + 1), items).get(e.userId)!;
    return { window: Math.floor(e.occurredAt / intervalMs), eventCount: state.eventCount, vector: state.vector };
  });
}

export interface HistoryCheck {
  /** Users whose history is not what the rules allow, each with the first reason. */
  readonly wrong: string[];
  /** Snapshots compared, and of those the ones equal to the state after the window's last event. */
  readonly snapshots: number;
  readonly exact: number;
  /** Snapshots that hold an earlier state of their window (the documented late-event case). */
  readonly late: number;
}

/**
 * Checks every user's stored history against the reference: the same windows (every window with
 * events among the last `historySize`, none other), and in each a state the user had after one of
 * their events inside that window — the last one, unless that event came late.
 */
export function checkHistories(
  events: readonly SentEvent[],
  items: ReadonlyMap<string, Float32Array>,
  stored: ReadonlyMap<string, readonly StoredSnapshot[]>,
  opts: { intervalMs: number; historySize: number; tolerance?: number },
): HistoryCheck {
  const byUser = new Map<string, SentEvent[]>();
  for (const e of events) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
  const tolerance = opts.tolerance ?? 1e-5;
  const result = { wrong: [] as string[], snapshots: 0, exact: 0, late: 0 };
  for (const [userId, userEvents] of byUser) {
    const steps = stepsOf(userEvents, items, opts.intervalMs);
    // A window whose last state has no vector yet (only dislikes so far) has no snapshot.
    const windows = [...new Set(steps.map((s) => s.window))].filter((w) => steps.filter((s) => s.window === w).at(-1)!.vector !== null).slice(-opts.historySize);
    const history = stored.get(userId) ?? [];
    const got = history.map((s) => s.window);
    if (got.join() !== windows.join()) {
      result.wrong.push(`${userId}: windows [${got.join(',')}], expected [${windows.join(',')}]`);
      continue;
    }
    for (const snapshot of history) {
      result.snapshots++;
      const step = steps.find((s) => s.eventCount === snapshot.eventCount);
      const lastInWindow = steps.filter((s) => s.window === snapshot.window).at(-1)!;
      if (step === undefined || step.window !== snapshot.window || step.vector === null || maxAbsDiff(snapshot.vector, step.vector) > tolerance) {
        result.wrong.push(`${userId}: window ${snapshot.window} holds eventCount ${snapshot.eventCount}, not a state reached inside that window`);
        break;
      }
      if (step === lastInWindow) result.exact++;
      else result.late++;
    }
  }
  return result;
}
