/**
 * INTERIM: stand-ins for the in-memory fakes the `contracts` branch is writing in
 * services/adapters/memory/ (with their contract suites). Replaced by those once merged.
 */
import type { CasOutcome, PopularityIncrement, PopularityStore, UserStateStore, UserStateWrite } from '../../../services/domain/ports/index.js';
import type { UserState } from '../../../services/domain/types.js';
import { formatWatermark } from '../../../services/core/user-state-codec.js';
import type { HistoryStore, InterestSnapshot } from '../../../services/domain/ports/index.js';

export class InMemoryUserStateStore implements UserStateStore {
  private readonly rows = new Map<string, UserState>();
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  async getMany(userIds: readonly string[]): Promise<Map<string, UserState>> {
    return new Map(userIds.flatMap((id) => (this.rows.has(id) ? [[id, this.rows.get(id)!] as const] : [])));
  }
  async casMany(writes: readonly UserStateWrite[]): Promise<CasOutcome[]> {
    return writes.map(({ state, expected }) => {
      const current = this.rows.get(state.userId)?.watermark ?? null;
      if (formatWatermark(current) !== formatWatermark(expected)) return { ok: false, current };
      this.rows.set(state.userId, state);
      return { ok: true };
    });
  }
  async putMany(states: readonly UserState[]): Promise<void> {
    for (const s of states) this.rows.set(s.userId, s);
  }
  async delete(userIds: readonly string[]): Promise<void> {
    for (const id of userIds) this.rows.delete(id);
  }
}

/** No decay: scores are summed weights. */
export class InMemoryPopularityStore implements PopularityStore {
  private readonly counts = new Map<string, number>();
  async record(increments: readonly PopularityIncrement[]): Promise<void> {
    for (const i of increments) this.counts.set(i.itemId, (this.counts.get(i.itemId) ?? 0) + i.weight);
  }
  async top(limit: number, options: { excludeIds?: readonly string[] } = {}): Promise<Array<{ itemId: string; score: number }>> {
    const excluded = new Set(options.excludeIds ?? []);
    return [...this.counts]
      .filter(([id]) => !excluded.has(id))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([itemId, score]) => ({ itemId, score }));
  }
  async scores(itemIds: readonly string[]): Promise<number[]> {
    return itemIds.map((id) => this.counts.get(id) ?? 0);
  }
  async clear(): Promise<void> {
    this.counts.clear();
  }
}

export class InMemoryHistoryStore implements HistoryStore {
  private readonly lists = new Map<string, InterestSnapshot[]>();
  async append(s: InterestSnapshot): Promise<void> {
    const list = (this.lists.get(s.userId) ?? []).filter((x) => x.window !== s.window);
    list.push(s);
    list.sort((a, b) => a.window - b.window);
    this.lists.set(s.userId, list);
  }
  async recent(userId: string, n: number): Promise<InterestSnapshot[]> {
    return (this.lists.get(userId) ?? []).slice(-n);
  }
  async delete(userId: string): Promise<number> {
    const n = this.lists.get(userId)?.length ?? 0;
    this.lists.delete(userId);
    return n;
  }
}
