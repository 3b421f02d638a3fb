import type { Watermark } from '../domain/types.js';
import type { HistoryRecord } from '../domain/ports/index.js';

/** One run of a user's events, and the event-time window the state closes after it (if any). */
export interface Segment<T> {
  readonly inputs: T[];
  /** After folding `inputs`, the state is final for this window: the next event is stamped in a later one. */
  readonly closes?: number;
}

/**
 * Splits a user's events of a batch where their event time enters a later snapshot window. The
 * state reached just before such an event is the user's state at the end of the window, which
 * ingest snapshots itself: during a replay many windows pass within one batch, and no snapshotter
 * could ever see those states. A late event (stamped before the current window) never splits.
 */
export function splitAtWindows<T extends { event: { occurredAt: number } }>(lastEventAt: number, inputs: readonly T[], intervalMs: number): Segment<T>[] {
  let window = Math.floor(lastEventAt / intervalMs);
  const segments: Segment<T>[] = [];
  let current: T[] = [];
  for (const input of inputs) {
    const w = Math.floor(input.event.occurredAt / intervalMs);
    if (w > window) {
      segments.push({ inputs: current, closes: window });
      current = [];
      window = w;
    }
    current.push(input);
  }
  segments.push({ inputs: current });
  return segments;
}


export interface Boundary {
  readonly window: number;
  readonly record: HistoryRecord;
  readonly watermark: Watermark | null;
}
