import { describe, expect, it } from 'vitest';
import { decodeToken, encodeToken, mergeTokens, tokenReached } from '../../../services/core/consistency-token.js';
import { ProgressWaiter } from '../../../services/query/read-your-writes.js';

const token = (offsets: Array<[number, bigint]>, topic = 'interactions') => ({ topic, offsets: new Map(offsets) });

describe('consistency tokens', () => {
  it('round-trip as URL-safe text naming the topic and the highest offset per partition', () => {
    const t = token([[3, 9_007_199_254_740_993n], [0, 41n]]);
    const wire = encodeToken(t);
    expect(wire).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(wire, 'base64url').toString())).toEqual({ v: 1, t: 'interactions', o: { '0': '41', '3': '9007199254740993' } });
    expect(decodeToken(wire)).toEqual(t);
  });

  it('merge to the higher offset per partition, and refuse to merge topics', () => {
    expect(mergeTokens(token([[0, 5n], [1, 7n]]), token([[1, 3n], [2, 1n]]))).toEqual(token([[0, 5n], [1, 7n], [2, 1n]]));
    expect(() => mergeTokens(token([[0, 1n]]), token([[0, 1n]], 'other'))).toThrow(/cannot be merged/);
  });

  it('refuse malformed input with INVALID_INPUT naming the field', () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const bad of ['', 'a+b', 'x'.repeat(40_000), b64([1]), b64({ v: 2, t: 'i', o: { 0: '1' } }), b64({ v: 1, t: '', o: { 0: '1' } }), b64({ v: 1, t: 'i', o: {} }), b64({ v: 1, t: 'i', o: { 0: -1 } }), b64({ v: 1, t: 'i', o: { x: '1' } })]) {
      expect(() => decodeToken(bad, 'after'), bad.slice(0, 40)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: { field: 'after' } }));
    }
  });

  it('are reached once the next offset to fold passes every partition they name', () => {
    const t = token([[0, 10n], [2, 4n]]);
    expect(tokenReached(t, new Map([[0, 11n], [2, 5n]]))).toBe(true);
    expect(tokenReached(t, new Map([[0, 10n], [2, 5n]]))).toBe(false);
    expect(tokenReached(t, new Map([[0, 11n]]))).toBe(false);
  });
});

describe('ProgressWaiter', () => {
  it('wakes waiters as progress arrives, with one read loop for all of them, and times out the rest', async () => {
    let applied = new Map<number, bigint>();
    let reads = 0;
    const waiter = new ProgressWaiter(async () => {
      reads++;
      return applied;
    });
    const first = waiter.waitFor(token([[0, 1n]]), 2000);
    const second = waiter.waitFor(token([[0, 1n], [1, 0n]]), 2000);
    const never = waiter.waitFor(token([[5, 0n]]), 80);
    setTimeout(() => (applied = new Map([[0, 2n], [1, 1n]])), 30);
    expect(await Promise.all([first, second, never])).toEqual([true, true, false]);
    // Polled with back-off (1, 2, 4, 8, 8, … ms): about a dozen reads in ~80 ms, not one per ms per waiter.
    expect(reads).toBeLessThan(20);
    const before = reads;
    // Progress only rises, so a token already reached answers from memory.
    expect(await waiter.waitFor(token([[0, 0n]]), 10)).toBe(true);
    expect(reads).toBe(before);
  });
});
