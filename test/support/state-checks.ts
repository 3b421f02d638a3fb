import type { UserState } from '../../services/domain/types.js';
import { maxAbsDiff, referenceFold, type RefEvent } from './reference-fold.js';

/**
 * Users whose state differs from an independent fold of `events`: a different event count (an event
 * lost or counted twice) or a vector further than 1e-5 from the reference. Empty when all match.
 */
export function mismatches(states: ReadonlyMap<string, UserState>, events: readonly RefEvent[], items: ReadonlyMap<string, Float32Array>): string[] {
  const expected = referenceFold(events, items);
  return [...expected]
    .filter(([id, ref]) => {
      const s = states.get(id);
      if (!s || s.eventCount !== ref.eventCount) return true;
      if (ref.vector === null || s.vector === null) return ref.vector !== s.vector;
      return maxAbsDiff(s.vector, ref.vector) > 1e-5;
    })
    .map(([id]) => id);
}
