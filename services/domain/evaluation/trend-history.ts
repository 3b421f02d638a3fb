/**
 * What `trend` reads in a replay, per user: each fold's window-end snapshots, newest last, at most
 * 2W, and trend's query per variant until they move. trendStrategy is a pure function of the
 * snapshots, and a user's next view often finds them where the last one left them (43 % of the
 * rankings of bench/evaluate-speed.ts), so the query is computed once per change, not per view.
 */
import type { UserState } from '../types.js';
import { trendStrategy, type InterestSnapshot } from '../strategies.js';
import type { Variant } from './variants.js';

export class TrendHistory {
  private readonly snapshots: Array<Array<InterestSnapshot & { window: number }>>;
  /** trend's query per variant (null: it cannot answer) since the snapshots last moved. */
  private readonly queries = new Map<Variant, Float32Array | null>();

  constructor(
    folds: number,
    private readonly intervalMs: number,
    private readonly trendWindow: number,
  ) {
    this.snapshots = Array.from({ length: folds }, () => []);
  }

  /**
   * An event stamped in a later snapshot window than the user's last one closes that window: the
   * state before the event is the window's snapshot (what ingest records at a window boundary;
   * SNAPSHOT_LATENESS_MS does not apply to a replay).
   */
  closeWindows(before: readonly UserState[], at: number): void {
    const interval = this.intervalMs;
    before.forEach((s, f) => {
      const window = Math.floor(s.lastEventAt / interval);
      if (Math.floor(at / interval) <= window) return;
      this.queries.clear();
      const history = this.snapshots[f]!;
      if (s.erased) history.length = 0;
      if (s.vector === null || s.erased) return;
      if (history.at(-1)?.window === window) history.pop();
      history.push({ vector: s.vector, takenAt: (window + 1) * interval - 1, window });
      if (history.length > 2 * this.trendWindow) history.shift();
    });
  }

  /** The user was erased: no snapshot survives. */
  erase(): void {
    for (const h of this.snapshots) h.length = 0;
    this.queries.clear();
  }

  /** trend's query for `v` (its fold's snapshots, its momentum), or null when trend cannot answer. */
  query(v: Variant): Float32Array | null {
    let query = this.queries.get(v);
    if (query === undefined) {
      const history = this.snapshots[v.fold]!;
      query = (history.length < 2 ? null : trendStrategy(history, this.trendWindow, v.momentum)?.vector) ?? null;
      this.queries.set(v, query);
    }
    return query;
  }
}
