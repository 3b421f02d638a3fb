import { describe, expect, it } from 'vitest';
import { fmix32, unfmix32 } from '../../../services/domain/hash.js';

describe('unfmix32', () => {
  it('undoes fmix32 on the edges of the 32-bit range and on a run of consecutive integers', () => {
    for (const x of [0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) expect(unfmix32(fmix32(x))).toBe(x);
    for (let x = 0; x < 100_000; x++) if (unfmix32(fmix32(x)) !== x) expect.fail(`unfmix32(fmix32(${x})) = ${unfmix32(fmix32(x))}`);
  });

  it('is fmix32 of known values read backwards', () => {
    expect(fmix32(1)).toBe(1_364_076_727);
    expect(unfmix32(1_364_076_727)).toBe(1);
    expect(unfmix32(15_374_403)).toBe(99_999);
  });
});
