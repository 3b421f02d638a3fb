import { describe, expect, it } from 'vitest';
import { CatalogueIndex } from '../../../../services/domain/evaluation/catalogue-index.js';
import { RecentViewQueries } from '../../../../services/domain/evaluation/recent-view-queries.js';
import { averageStrategy } from '../../../../services/domain/strategies.js';

const catalogue = new CatalogueIndex([
  { id: 'a', vector: new Float32Array([3, 4]) },
  { id: 'b', vector: new Float32Array([-3, -4]) },
  { id: 'c', vector: new Float32Array([0.1, -7]) },
]);
const items = [0, 1, 2].map((i) => catalogue.vectorOf(i));

describe('RecentViewQueries', () => {
  it("gives average's query of the listed items and last's of the last one alone, the same floats as averageStrategy", () => {
    const queries = new RecentViewQueries(catalogue, items);
    expect(queries.average(['a', 'c'])).toEqual(averageStrategy([items[0]!, items[2]!]));
    expect(queries.average(['a', 'b'])).toBeNull();
    expect(queries.last(['a', 'b', 'c'])).toEqual(averageStrategy([items[2]!]));
    expect(queries.last([])).toBeNull();
  });

  it("keeps last's query per item: the same vector for every user whose last view is that item", () => {
    const queries = new RecentViewQueries(catalogue, items);
    const first = queries.last(['b', 'c']);
    expect(queries.last(['a', 'c'])).toBe(first);
    expect(queries.last(['c', 'a'])).not.toBe(first);
  });
});
