import { describe, expect, it } from 'vitest';
import { ItemVectors } from '../../../services/ingest/item-vectors.js';
import { MemoryVectorStore } from '../../support/fakes/memory-vector-store.js';

const TTL = 60_000;

/** A store whose reads are counted and can be held open (to land an update while one is out). */
class CountingStore extends MemoryVectorStore {
  reads: string[][] = [];
  hold: Promise<void> | undefined;
  override async get(collection: string, ids: readonly string[]) {
    this.reads.push([...ids]);
    const answer = await super.get(collection, ids);
    await this.hold;
    return answer;
  }
}

async function world() {
  const store = new CountingStore();
  await store.ensureCollection('items', 2);
  await store.upsert('items', [
    { id: 'a', vector: new Float32Array([1, 0]), payload: {} },
    { id: 'b', vector: new Float32Array([0, 1]), payload: {} },
  ]);
  let now = 1_000_000;
  const items = new ItemVectors(store, { collection: 'items', cacheSize: 100, ttlMs: TTL, retries: 0, retryDelayMs: 0, now: () => now });
  return { store, items, at: (ms: number) => (now = 1_000_000 + ms) };
}

const vec = (m: Map<string, Float32Array>, id: string) => (m.has(id) ? [...m.get(id)!] : undefined);

describe('ItemVectors (ingest item cache)', () => {
  it('reads a vector once and serves it from memory for the first half of the TTL', async () => {
    const { store, items, at } = await world();
    expect(vec(await items.getMany(['a', 'b']), 'a')).toEqual([1, 0]);
    at(TTL / 2 - 1);
    expect(vec(await items.getMany(['a']), 'a')).toEqual([1, 0]);
    await items.idle();
    expect(store.reads).toEqual([['a', 'b']]);
  });

  it('in the second half of the TTL answers from memory and refreshes in the background, so a vector in use never expires on the hot path', async () => {
    const { store, items, at } = await world();
    await items.getMany(['a']);
    await store.upsert('items', [{ id: 'a', vector: new Float32Array([0.6, 0.8]), payload: {} }]);
    at(TTL / 2 + 2);
    // Still the cached vector (at most TTL old), but a refresh is under way.
    expect(vec(await items.getMany(['a']), 'a')).toEqual([1, 0]);
    await items.idle();
    expect(store.reads).toEqual([['a'], ['a']]);
    // Past the first read's TTL: the refreshed vector, without another read.
    at(TTL + 1);
    expect(vec(await items.getMany(['a']), 'a')).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(store.reads).toHaveLength(2);
  });

  it('never serves a vector older than the TTL: one not used since is read again before the batch folds', async () => {
    const { store, items, at } = await world();
    await items.getMany(['a']);
    await store.upsert('items', [{ id: 'a', vector: new Float32Array([0, 1]), payload: {} }]);
    at(TTL);
    expect(vec(await items.getMany(['a']), 'a')).toEqual([0, 1]);
    expect(store.reads).toEqual([['a'], ['a']]);
  });

  it('forgets an item the background refresh no longer finds, so its next event looks it up again', async () => {
    const { store, items, at } = await world();
    await items.getMany(['b']);
    await store.delete('items', ['b']);
    at(TTL / 2 + 5);
    expect(vec(await items.getMany(['b']), 'b')).toEqual([0, 1]);
    await items.idle();
    expect((await items.getMany(['b'])).has('b')).toBe(false);
    expect(store.reads).toEqual([['b'], ['b'], ['b']]);
  });

  it('does not cache what a refresh read before a live update that landed while it was out', async () => {
    const { store, items, at } = await world();
    await items.getMany(['a']);
    at(TTL / 2);
    let release!: () => void;
    store.hold = new Promise((r) => (release = r));
    await items.getMany(['a']);
    // The update is stored and this process invalidates its entry while the refresh is out.
    await store.upsert('items', [{ id: 'a', vector: new Float32Array([0, 1]), payload: {} }]);
    items.invalidate('a');
    release();
    store.hold = undefined;
    await items.idle();
    expect(vec(await items.getMany(['a']), 'a')).toEqual([0, 1]);
    expect(store.reads).toHaveLength(3);
  });
});
