/**
 * INTERIM: a stand-in for the in-memory HistoryStore the `contracts` branch is writing in
 * services/adapters/memory/ (with its contract suite). Replaced by that one once merged.
 */
import type { HistoryStore, InterestSnapshot } from '../../../services/domain/ports/index.js';

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
