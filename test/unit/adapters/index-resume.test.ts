import { describe, expect, it } from 'vitest';
import { planResume, type VersionedRow } from '../../../services/adapters/vector-store/index-resume.js';
import { DEFAULT_HNSW } from '../../../services/adapters/vector-store/item-index.js';

const saved = { tableId: 't', version: 5, dimension: 2, hnsw: DEFAULT_HNSW, keys: ['a', null, 'b', 'c'] };
const row = (id: string, writtenAt: number): VersionedRow => ({ id, vector: Float32Array.of(writtenAt, 1), payload: `{"id":"${id}"}`, writtenAt });

describe('planResume', () => {
  it('keeps rows unwritten since the saved version at their keys and patches the rest', () => {
    const plan = planResume(saved, 7, [row('a', 3), row('c', 6), row('d', 7)], 10);
    expect(plan).toEqual({
      ok: true,
      // b is gone from the table: a stand-in until its removal is applied; c is replaced in place.
      rows: [row('a', 3), undefined, { id: 'b', vector: new Float32Array(0), payload: 'null' }, row('c', 6)],
      upserts: [row('c', 6), row('d', 7)],
      removals: ['b'],
    });
  });

  it('refuses a table older than the saved index, a row the file should hold but lacks, and too many changes', () => {
    expect(planResume(saved, 4, [], 10)).toEqual({ ok: false, reason: "the table is at version 4, before the saved index's 5 (recreated or restored)" });
    expect(planResume(saved, 5, [row('a', 2), row('x', 4)], 10)).toEqual({
      ok: false,
      reason: 'row "x", unchanged since version 4, is not in the saved index (the file does not describe this table)',
    });
    expect(planResume(saved, 9, [row('a', 6), row('b', 7), row('c', 8)], 2)).toEqual({ ok: false, reason: '3 rows changed since the saved version 5, more than a patch takes (2)' });
  });
});
