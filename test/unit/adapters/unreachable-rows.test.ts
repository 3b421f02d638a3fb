import { describe, expect, it } from 'vitest';
import { UnreachableRows } from '../../../services/adapters/vector-store/unreachable-rows.js';
import type { IndexedRow } from '../../../services/adapters/vector-store/item-index.js';
import { cosine } from '../../support/math.js';

const row = (id: string, vector: number[], genre: string): IndexedRow => ({ id, vector: Float32Array.from(vector), payload: JSON.stringify({ genre }) });
const ROWS = [row('a', [1, 0, 0], 'rock'), row('b', [0.9, 0.1, 0], 'rock'), row('c', [0.8, 0.2, 0], 'jazz'), row('d', [0, 1, 0], 'rock'), undefined];
const query = (exclude: string[] = [], genre?: string) => ({
  vector: Float32Array.from([1, 0.05, 0]),
  limit: 2,
  exclude: new Set(exclude),
  filter: genre === undefined ? undefined : { must: [{ key: 'genre', in: [genre] }] },
  maxCandidates: 100,
});

describe('UnreachableRows.merge', () => {
  it('merges the rows into the hits by exact cosine, keeping the best `limit`', () => {
    const rows = new UnreachableRows(ROWS, [0, 3, 4]);
    expect(rows.size).toBe(2); // position 4 holds no row
    const hits = [{ id: 'b', score: cosine(ROWS[1]!.vector, query().vector), payload: { genre: 'rock' } }];
    const merged = rows.merge(hits, query());
    expect(merged.map((h) => h.id)).toEqual(['a', 'b']);
    expect(merged[0]!.score).toBeCloseTo(cosine(ROWS[0]!.vector, query().vector), 12);
    expect(merged[0]!.payload).toEqual({ genre: 'rock' });
  });

  it('never returns an excluded row or one the filter rejects, nor one the hits already hold', () => {
    const rows = new UnreachableRows(ROWS, [0, 1, 2]);
    expect(rows.merge([], query(['a'])).map((h) => h.id)).toEqual(['b', 'c']);
    expect(rows.merge([], query([], 'jazz')).map((h) => h.id)).toEqual(['c']);
    const held = [{ id: 'a', score: cosine(ROWS[0]!.vector, query().vector), payload: {} }];
    expect(rows.merge(held, query()).map((h) => h.id)).toEqual(['a', 'b']);
  });

  it('scores rows added or replaced since the last search (the scorer is made again)', () => {
    const live: Array<IndexedRow | undefined> = [...ROWS];
    const rows = new UnreachableRows(live, [3]);
    expect(rows.merge([], query()).map((h) => h.id)).toEqual(['d']);
    live[3] = row('d', [1, 0.05, 0], 'rock');
    rows.rewritten(3);
    rows.add(0);
    const merged = rows.merge([], query());
    expect(merged.map((h) => h.id)).toEqual(['d', 'a']);
    expect(merged[0]!.score).toBeCloseTo(1, 6);
    expect(rows.positions()).toEqual([0, 3]);
  });
});
