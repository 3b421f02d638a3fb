import { describe, expect, it } from 'vitest';
import { TrendHistory } from '../../../../services/domain/evaluation/trend-history.js';
import { emptyUserState } from '../../../../services/domain/fold.js';
import { trendStrategy } from '../../../../services/domain/strategies.js';
import type { Variant } from '../../../../services/domain/evaluation/variants.js';

const state = (x: number, y: number, lastEventAt: number) => ({ ...emptyUserState('u'), vector: Float32Array.of(x, y), lastEventAt });
const variant: Variant = { name: 'trend', strategy: 'trend', fold: 0, momentum: 0.5 };

describe('TrendHistory', () => {
  it("keeps each closed window's last state and gives trendStrategy's query over them, again after every change", () => {
    const history = new TrendHistory(1, 1000, 2);
    history.closeWindows([state(1, 0, 500)], 1500); // window 0 closes with (1, 0)
    expect(history.query(variant)).toBeNull(); // one snapshot: trend cannot answer
    history.closeWindows([state(0.8, 0.6, 1500)], 1700); // same window: nothing closes
    expect(history.query(variant)).toBeNull();
    history.closeWindows([state(0.6, 0.8, 1700)], 2100); // window 1 closes with (0.6, 0.8)
    const snapshots = [
      { vector: Float32Array.of(1, 0), takenAt: 999 },
      { vector: Float32Array.of(0.6, 0.8), takenAt: 1999 },
    ];
    expect(history.query(variant)).toEqual(trendStrategy(snapshots, 2, 0.5)!.vector);
    history.closeWindows([state(0, 1, 2100)], 3000); // window 2 closes with (0, 1)
    snapshots.push({ vector: Float32Array.of(0, 1), takenAt: 2999 });
    expect(history.query(variant)).toEqual(trendStrategy(snapshots, 2, 0.5)!.vector);
    expect(history.query({ ...variant, momentum: 1 })).toEqual(trendStrategy(snapshots, 2, 1)!.vector);
    history.erase();
    expect(history.query(variant)).toBeNull();
  });
});
