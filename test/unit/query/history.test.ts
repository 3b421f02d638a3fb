import { describe, expect, it } from 'vitest';
import { currentTrend, halvesDrift } from '../../../services/query/history.js';

const at = (takenAt: number, ...v: number[]) => ({ takenAt, vector: new Float32Array(v) });

describe('history drift and trend', () => {
  it('drift is 1 - cos between the older and the newer half, whatever the input order', () => {
    const moved = [at(1, 1, 0), at(2, 1, 0), at(3, 0.6, 0.8), at(4, 0.6, 0.8)];
    expect(halvesDrift(moved)).toBeCloseTo(0.4, 6);
    expect(halvesDrift([moved[3]!, moved[0]!, moved[2]!, moved[1]!])).toBeCloseTo(0.4, 6);
    expect(halvesDrift([at(1, 1, 0), at(2, 1, 0)])).toBe(0);
  });

  it('leaves the oldest snapshot out of an odd count, and has no drift below two snapshots', () => {
    // The oldest points away; with it the older half would not be (1, 0).
    expect(halvesDrift([at(0, -1, 0), at(1, 1, 0), at(2, 0, 1)])).toBeCloseTo(1, 6);
    expect(halvesDrift([at(1, 1, 0)])).toBeNull();
    expect(halvesDrift([])).toBeNull();
  });

  it('the current trend reads only the newest 2W snapshots', () => {
    const history = [at(1, -1, 0), at(2, 1, 0), at(3, 0.6, 0.8)];
    const trend = currentTrend(history, 1)!;
    expect(trend.used).toBe(2);
    expect(trend.drift).toBeCloseTo(0.4, 6);
    expect(currentTrend(history, 5)!.used).toBe(2);
    expect(currentTrend([at(1, 1, 0)], 3)).toBeNull();
  });
});
