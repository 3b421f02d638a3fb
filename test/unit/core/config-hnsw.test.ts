import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';
import { DEFAULT_HNSW } from '../../../services/adapters/vector-store/item-index.js';

describe('HNSW settings of the embedded store', () => {
  it('default to the adapter defaults', () => {
    expect(loadConfig({}).hnsw).toEqual(DEFAULT_HNSW);
  });

  it('come from HNSW_EF_SEARCH, HNSW_M, HNSW_EF_CONSTRUCTION and HNSW_REACH_CHECK', () => {
    expect(loadConfig({ HNSW_EF_SEARCH: '256', HNSW_M: '24', HNSW_EF_CONSTRUCTION: '200', HNSW_REACH_CHECK: 'false' }).hnsw).toEqual({ expansionSearch: 256, connectivity: 24, expansionAdd: 200, reachCheck: false });
  });

  it('name a bad value', () => {
    expect(() => loadConfig({ HNSW_EF_SEARCH: '0' })).toThrow(/HNSW_EF_SEARCH/);
    expect(() => loadConfig({ HNSW_M: 'many' })).toThrow(/HNSW_M/);
    expect(() => loadConfig({ HNSW_REACH_CHECK: 'sometimes' })).toThrow(/HNSW_REACH_CHECK/);
  });
});
