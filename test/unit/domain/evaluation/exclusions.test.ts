import { describe, expect, it } from 'vitest';
import { CatalogueIndex } from '../../../../services/domain/evaluation/catalogue-index.js';
import { ExclusionMarks } from '../../../../services/domain/evaluation/exclusions.js';
import { emptyUserState, foldEvent } from '../../../../services/domain/fold.js';
import { StateKeys } from '../../../../services/domain/recent-ids.js';
import type { UserState } from '../../../../services/domain/types.js';
import { rng } from '../../../support/random.js';

describe('ExclusionMarks', () => {
  it('marks exactly the catalogue items of the seen and disliked lists, however each list differs from the last one', () => {
    const rand = rng(3);
    const catalogue = new CatalogueIndex(Array.from({ length: 50 }, (_, i) => ({ id: `i${i}`, vector: new Float32Array([1, i]) })));
    const marks = new ExclusionMarks(catalogue);
    const pick = () => (rand() < 0.1 ? `unknown${Math.floor(rand() * 5)}` : `i${Math.floor(rand() * 50)}`);
    let seen: string[] = [];
    for (let step = 0; step < 300; step++) {
      // moved to the end, appended, dropped from the front, reshuffled, or replaced outright
      const r = rand();
      if (r < 0.5) seen = [...seen.filter((id) => id !== seen[0]), pick()].slice(-20);
      else if (r < 0.8) seen = [...seen, pick()].slice(-20);
      else if (r < 0.9) seen = [...seen].sort(() => rand() - 0.5);
      else seen = Array.from({ length: Math.floor(rand() * 10) }, pick);
      const disliked = step % 3 === 0 ? [pick(), pick()] : [];
      marks.mark({ ...emptyUserState(`u${step % 2}`), seen, disliked });
      const want = Array.from({ length: 50 }, (_, i) => (seen.includes(`i${i}`) || disliked.includes(`i${i}`) ? 1 : 0));
      expect([...marks.marks]).toEqual(want);
      marks.clear();
      expect(marks.marks.every((m) => m === 0)).toBe(true);
    }
  });
  it('marks the same from the fold\'s keys of catalogue positions as from the lists, and from the lists when the keys describe another state', () => {
    const rand = rng(5);
    const catalogue = new CatalogueIndex(Array.from({ length: 30 }, (_, i) => ({ id: `i${i}`, vector: new Float32Array([1, i + 1]) })));
    const marks = new ExclusionMarks(catalogue);
    const keys = new StateKeys((id) => catalogue.indexOf(id) ?? -1);
    const params = { alpha: 0.2, beta: 0.5, recentViews: 3, seenCap: 8, dislikedCap: 4, dedupeWindow: 20, dimension: 2 };
    const want = (state: UserState) => Array.from({ length: 30 }, (_, i) => (state.seen.includes(`i${i}`) || state.disliked.includes(`i${i}`) ? 1 : 0));
    let state = emptyUserState('u');
    for (let step = 0; step < 200; step++) {
      const item = Math.floor(rand() * 12);
      const event = { eventId: `e${step}`, userId: 'u', itemId: `i${item}`, type: rand() < 0.2 ? ('DISLIKE' as const) : ('VIEW' as const), occurredAt: step, weight: 1 };
      const next = foldEvent(state, { event, item: catalogue.vectorOf(item), watermark: { partition: 0, offset: String(step) } }, params, keys).state;
      // Before the next fold the keys are `next`'s; `state` is marked from its lists.
      for (const s of [next, state]) {
        marks.mark(s, keys);
        expect([...marks.marks]).toEqual(want(s));
        marks.clear();
      }
      state = next;
    }
  });
});
