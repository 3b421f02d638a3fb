import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/core/logger.js';
import { emptyUserState } from '../../../services/domain/fold.js';
import type { VectorPoint, VectorStore } from '../../../services/domain/ports/index.js';
import type { UserState } from '../../../services/domain/types.js';
import { DurableWriter, type CommitPoint } from '../../../services/ingest/durable-writer.js';
import { chunkPoints, encodedPointBytes } from '../../../services/ingest/write-budget.js';

const D = 256;

/** A store that, like Qdrant with its 32 MiB request limit, refuses a request over its limits. */
class LimitedStore {
  readonly requests: Array<{ points: number; bytes: number }> = [];
  readonly stored = new Map<string, VectorPoint>();
  refused = 0;
  constructor(private readonly maxPoints: number, private readonly maxBytes: number) {}
  async upsert(_collection: string, points: readonly VectorPoint[]): Promise<void> {
    // The body as the Qdrant adapter sends it: vectors as JSON arrays of numbers.
    const bytes = Buffer.byteLength(JSON.stringify({ points: points.map((p) => ({ id: p.id, vector: Array.from(p.vector), payload: p.payload })) }));
    if (points.length > this.maxPoints || bytes > this.maxBytes) {
      this.refused++;
      throw new Error(`request of ${points.length} points / ${bytes} bytes refused`);
    }
    this.requests.push({ points: points.length, bytes });
    for (const p of points) this.stored.set(p.id, p);
  }
  /** The writer's path (compare-and-set on the watermark); every user here is new, so none is stale. */
  async upsertIfNewer(collection: string, points: readonly VectorPoint[]): Promise<{ stale: number }> {
    await this.upsert(collection, points);
    return { stale: 0 };
  }
}

/** Every cap full: 500 seen, 500 disliked, 10 recent views, 1,000 event-id hashes, a d=256 vector. */
function matureUser(i: number): UserState {
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, k) => `${prefix}-${i}-${k}-catalogue-item`);
  const vector = Float32Array.from({ length: D }, (_, k) => Math.sin(i + k) / 11.3);
  return {
    ...emptyUserState(`mature-user-${i}`),
    vector,
    seen: ids('seen', 500),
    disliked: ids('disliked', 500),
    recentViews: ids('seen', 10),
    recentEventIds: Array.from({ length: 1000 }, (_, k) => (BigInt(i) * 1000n + BigInt(k)).toString(16).padStart(16, '0')),
    eventCount: 2000,
    lastEventAt: 1_764_000_000_000,
    watermark: { partition: i % 3, offset: String(i) },
  };
}

describe('DurableWriter: bounded requests', () => {
  it('lands one flush of 2,000 mature users in chunks a store refusing more than N points or M bytes accepts, then commits', async () => {
    const maxPoints = 300;
    const maxBytes = 4 * 1024 * 1024;
    const store = new LimitedStore(maxPoints, maxBytes);
    const commits: CommitPoint[][] = [];
    const w = new DurableWriter({
      store: store as unknown as VectorStore,
      usersCollection: 'users_g1',
      dimension: D,
      maxPending: 100_000,
      chunks: { maxPoints, maxBytes },
      logger: silentLogger(),
      commit: async (points) => void commits.push([...points]),
    });
    const users = Array.from({ length: 2000 }, (_, i) => matureUser(i));
    await w.add(users, { topic: 't', partition: 0, offset: '2000' });
    await w.drain();

    expect(store.refused).toBe(0);
    expect(store.stored.size).toBe(2000);
    expect(store.requests.length).toBeGreaterThan(2000 / maxPoints);
    expect(Math.max(...store.requests.map((r) => r.bytes))).toBeLessThanOrEqual(maxBytes);
    expect(store.requests.reduce((s, r) => s + r.points, 0)).toBe(2000);
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '2000' }]]);
    // One request without chunking would have been refused: the test's limits really bind.
    expect(users.reduce((s, u) => s + encodedPointBytes({ id: u.userId, vector: u.vector!, payload: {} }), 0)).toBeGreaterThan(maxBytes);
  }, 120_000);

  it('chunkPoints never puts more than maxPoints in a chunk, and sends an oversized point alone', () => {
    const p = (id: string, d: number): VectorPoint => ({ id, vector: new Float32Array(d), payload: {} });
    const points = [p('a', 10), p('b', 10), p('c', 1000), p('d', 10), p('e', 10), p('f', 10)];
    const chunks = chunkPoints(points, { maxPoints: 2, maxBytes: 2000 });
    expect(chunks.map((c) => c.map((x) => x.id))).toEqual([['a', 'b'], ['c'], ['d', 'e'], ['f']]);
  });
});
