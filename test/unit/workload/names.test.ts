import { describe, expect, it } from 'vitest';
import { CATEGORY_THEMES, categoryName, itemTitle } from '../../../services/workload/names.js';
import { SeededRandom } from '../../../services/workload/catalogue.js';

describe('workload names', () => {
  it('has distinct theme names and cycles them with a round suffix', () => {
    const names = CATEGORY_THEMES.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(categoryName(0)).toBe('space-opera');
    expect(categoryName(1)).toBe('noir');
    expect(categoryName(CATEGORY_THEMES.length)).toBe('space-opera-2');
    expect(categoryName(2 * CATEGORY_THEMES.length + 1)).toBe('noir-3');
  });

  it('titles an item with a noun of its own category, repeatably for one seed', () => {
    const draw = (seed: number) => {
      const r = new SeededRandom(seed, 'titles');
      return Array.from({ length: 50 }, () => itemTitle(1, () => r.next()));
    };
    const titles = draw(3);
    expect(draw(3)).toEqual(titles);
    expect(draw(4)).not.toEqual(titles);
    const noirNouns = CATEGORY_THEMES[1]!.nouns;
    for (const t of titles) {
      expect(t).toMatch(/^[A-Z]/);
      expect(noirNouns.some((n) => t.includes(n))).toBe(true);
    }
    expect(new Set(titles).size).toBeGreaterThan(25);
  });
});
