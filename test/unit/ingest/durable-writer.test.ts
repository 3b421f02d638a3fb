import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/core/logger.js';
import { emptyUserState } from '../../../services/domain/fold.js';
import type { VectorPoint, VectorStore } from '../../../services/domain/ports/index.js';
import type { UserState } from '../../../services/domain/types.js';
import { DurableWriter, type CommitPoint } from '../../../services/ingest/durable-writer.js';

/** Records upserts; each can be held back or made to fail, to observe ordering. */
class RecordingStore {
  readonly writes: string[][] = [];
  failNext = 0;
  gate: Promise<void> | undefined;
  async upsert(_collection: string, points: readonly VectorPoint[]): Promise<void> {
    await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('store down');
    }
    this.writes.push(points.map((p) => `${p.id}@${p.payload.eventCount}`));
  }
  async upsertIfNewer(collection: string, points: readonly VectorPoint[]): Promise<{ stale: number }> {
    await this.upsert(collection, points);
    return { stale: 0 };
  }
}

const state = (userId: string, eventCount: number): UserState => ({ ...emptyUserState(userId), eventCount, watermark: { partition: 0, offset: String(eventCount) } });
const at = (partition: number, offset: number): CommitPoint => ({ topic: 't', partition, offset: String(offset) });

function writer(store: RecordingStore, commits: CommitPoint[][], maxPending = 1000) {
  return new DurableWriter({
    store: store as unknown as VectorStore,
    usersCollection: 'users_g1',
    dimension: 2,
    maxPending,
    logger: silentLogger(),
    commit: async (points) => void commits.push([...points]),
  });
}

describe('DurableWriter', () => {
  it('commits offsets only after the states they cover are written, coalescing batches that arrive meanwhile', async () => {
    const store = new RecordingStore();
    const commits: CommitPoint[][] = [];
    const w = writer(store, commits);
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    await w.add([state('a', 1)], at(0, 10));
    await w.add([state('a', 2), state('b', 1)], at(0, 12));
    await w.add([state('c', 1)], at(1, 5));
    expect(commits).toEqual([]);
    expect([...w.get(['a', 'b', 'c', 'd']).keys()]).toEqual(['a', 'b', 'c']);
    open();
    await w.drain();
    expect(store.writes).toEqual([['a@1'], ['a@2', 'b@1', 'c@1']]);
    expect(commits).toEqual([[at(0, 10)], [at(0, 12), at(1, 5)]]);
    expect(w.get(['a']).size).toBe(0);
  });

  it('keeps states and offsets after a failed write and retries them, newer states winning', async () => {
    const store = new RecordingStore();
    const commits: CommitPoint[][] = [];
    const w = writer(store, commits);
    store.failNext = 1;
    await w.add([state('a', 1), state('b', 1)], at(0, 3));
    await w.drain();
    expect(store.writes).toEqual([['a@1', 'b@1']]);
    expect(commits).toEqual([[at(0, 3)]]);
  });

  it('asks the consumer to pause at the cap, makes a batch wait at twice the cap, and resumes below half', async () => {
    const store = new RecordingStore();
    const pressure: boolean[] = [];
    const w = new DurableWriter({
      store: store as unknown as VectorStore,
      usersCollection: 'users_g1',
      dimension: 2,
      maxPending: 1,
      logger: silentLogger(),
      commit: async () => undefined,
      onPressure: (paused) => void pressure.push(paused),
    });
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    await w.add([state('a', 1)], at(0, 1));
    expect(pressure).toEqual([true]);
    let done = false;
    const blocked = w.add([state('b', 1), state('c', 1)], at(0, 3)).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    open();
    await blocked;
    await w.drain();
    expect(store.writes.flat().sort()).toEqual(['a@1', 'b@1', 'c@1']);
    expect(pressure).toEqual([true, false]);
  });
});
