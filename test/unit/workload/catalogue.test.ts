import { describe, expect, it } from 'vitest';
import { parseItemLine } from '../../../services/core/jsonl.js';
import { cosine, l2Norm } from '../../../services/domain/vector.js';
import { createCatalogue, itemJson, SeededRandom, type CatalogueItem, type CatalogueOptions } from '../../../services/workload/catalogue.js';

function lines(opts: CatalogueOptions): string[] {
  return [...createCatalogue(opts).items()].map(itemJson);
}

/** Mean cosine over pairs of items in the same cluster and over pairs in different clusters. */
function meanCosines(items: readonly CatalogueItem[]): { intra: number; inter: number } {
  let intra = 0;
  let intraPairs = 0;
  let inter = 0;
  let interPairs = 0;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const c = cosine(items[i]!.vector, items[j]!.vector);
      if (items[i]!.payload.cluster === items[j]!.payload.cluster) {
        intra += c;
        intraPairs++;
      } else {
        inter += c;
        interPairs++;
      }
    }
  }
  return { intra: intra / intraPairs, inter: inter / interPairs };
}

describe('synthetic catalogue', () => {
  const small = { items: 300, dimension: 16, clusters: 5, seed: 42 };

  it('is a function of its options: the same seed gives identical lines, another seed different ones', () => {
    const a = lines(small);
    expect(lines(small)).toEqual(a);
    const b = lines({ ...small, seed: 43 });
    expect(b).toHaveLength(300);
    expect(b.filter((line, i) => line === a[i])).toEqual([]);
  });

  it('numbers items from item-000001 with unit vectors of the requested dimension and well-formed payloads', () => {
    const catalogue = createCatalogue(small);
    const items = [...catalogue.items()];
    expect(items.map((it) => it.id).slice(0, 3)).toEqual(['item-000001', 'item-000002', 'item-000003']);
    expect(items.at(-1)!.id).toBe('item-000300');
    expect(new Set(items.map((it) => it.id)).size).toBe(300);
    for (const [i, it] of items.entries()) {
      expect(it.vector).toHaveLength(16);
      expect(l2Norm(it.vector)).toBeCloseTo(1, 5);
      const p = it.payload;
      expect(Object.keys(p).sort()).toEqual(['category', 'cluster', 'rating', 'title', 'year']);
      expect(p.cluster).toBe(catalogue.clusterOf(i));
      expect(p.category).toBe(catalogue.categories[p.cluster]);
      expect(Number.isInteger(p.year) && p.year >= 1950 && p.year <= 2025).toBe(true);
      expect(p.rating).toBeGreaterThanOrEqual(1);
      expect(p.rating).toBeLessThanOrEqual(5);
      expect(Math.round(p.rating * 10) / 10).toBe(p.rating);
      expect(p.title).toMatch(/^[A-Z][A-Za-z]*( [A-Za-z]+)+$/);
      expect(catalogue.itemIndex(it.id)).toBe(i);
    }
    expect(catalogue.itemIndex('item-000301')).toBe(-1);
    expect(catalogue.itemIndex('user-000001')).toBe(-1);
  });

  it('names one category per cluster, cycling through the themes with a suffix', () => {
    expect(createCatalogue({ ...small, clusters: 3 }).categories).toEqual(['space-opera', 'noir', 'nature-docs']);
    const many = createCatalogue({ items: 40, dimension: 4, clusters: 34, seed: 1 }).categories;
    expect(new Set(many).size).toBe(34);
    expect(many.slice(15, 18)).toEqual(['stand-up', 'space-opera-2', 'noir-2']);
    expect(many[33]).toBe('noir-3');
  });

  it('spreads items evenly over the clusters, and lists each cluster\'s members', () => {
    const catalogue = createCatalogue({ items: 2003, dimension: 8, clusters: 8, seed: 7 });
    const sizes = catalogue.categories.map((_, c) => catalogue.membersOf(c).length);
    expect(sizes.sort()).toEqual([250, 250, 250, 250, 250, 251, 251, 251]);
    for (let c = 0; c < 8; c++) for (const i of catalogue.membersOf(c)) expect(catalogue.clusterOf(i)).toBe(c);
  });

  it('keeps the items of a cluster closer to each other than to other clusters (d=32, K=8)', () => {
    const items = [...createCatalogue({ items: 800, dimension: 32, clusters: 8, seed: 42 }).items()];
    const { intra, inter } = meanCosines(items);
    // With noise of relative length 0.75 the expected intra-cluster cosine is about 1 / (1 + 0.75²) = 0.64.
    expect(intra).toBeGreaterThan(0.55);
    expect(intra).toBeLessThan(0.72);
    expect(Math.abs(inter)).toBeLessThan(0.1);
    expect(intra - inter).toBeGreaterThan(0.45);
  });

  it('puts every item nearest to its own cluster centre', () => {
    const catalogue = createCatalogue({ items: 800, dimension: 32, clusters: 8, seed: 42 });
    for (const item of catalogue.items()) {
      const sims = catalogue.centres.map((c) => cosine(c, item.vector));
      expect(sims.indexOf(Math.max(...sims))).toBe(item.payload.cluster);
    }
  });

  it('places items exactly on their centre with spread 0, and further from it as the spread grows', () => {
    const tight = createCatalogue({ ...small, spread: 0 });
    for (const item of tight.items()) expect(cosine(item.vector, tight.centres[item.payload.cluster]!)).toBeCloseTo(1, 6);
    const loose = meanCosines([...createCatalogue({ ...small, spread: 2 }).items()]).intra;
    expect(loose).toBeLessThan(meanCosines([...createCatalogue(small).items()]).intra - 0.3);
  });

  it('writes lines that the items import accepts, with the vector to 7 decimals and the payload as is', () => {
    for (const item of createCatalogue(small).items()) {
      const line = itemJson(item);
      const parsed = parseItemLine(line, 1, 16);
      expect(parsed.id).toBe(item.id);
      expect(parsed.payload).toEqual(item.payload);
      const written = (JSON.parse(line) as { vector: number[] }).vector;
      for (let i = 0; i < 16; i++) expect(Math.abs(written[i]! - item.vector[i]!)).toBeLessThanOrEqual(5e-8 + 1e-15);
    }
  });

  it('rejects impossible options, naming them', () => {
    expect(() => createCatalogue({ items: 3, dimension: 8, clusters: 5, seed: 1 })).toThrow(/clusters \(5\) cannot exceed items \(3\)/);
    expect(() => createCatalogue({ items: 10, dimension: 1, clusters: 2, seed: 1 })).toThrow(/dimension must be an integer of at least 2/);
    expect(() => createCatalogue({ items: 10, dimension: 4, clusters: 2, seed: -1 })).toThrow(/seed must be a non-negative integer/);
    expect(() => createCatalogue({ ...small, spread: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('SeededRandom', () => {
  it('draws standard normals (mean 0, variance 1) and separates streams of one seed', () => {
    const r = new SeededRandom(42, 'test');
    const n = 100_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const g = r.gaussian();
      sum += g;
      squares += g * g;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(squares / n).toBeGreaterThan(0.98);
    expect(squares / n).toBeLessThan(1.02);
    expect(new SeededRandom(42, 'a').next()).not.toBe(new SeededRandom(42, 'b').next());
    expect(new SeededRandom(2 ** 32 + 1, 'a').next()).not.toBe(new SeededRandom(1, 'a').next());
  });
});
