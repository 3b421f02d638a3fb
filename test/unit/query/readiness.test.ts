import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/core/logger.js';
import { Readiness } from '../../../services/query/readiness.js';

describe('Readiness', () => {
  it('probes the backends at most once per second whatever the request rate, and reports draining at once', async () => {
    let now = 0;
    let probes = 0;
    let healthy = true;
    const probe = {
      name: 'redis',
      check: async () => {
        probes++;
        if (!healthy) throw new Error('down');
      },
    };
    const readiness = new Readiness([probe], silentLogger(), 2000, 1000, () => now);
    const burst = await Promise.all(Array.from({ length: 500 }, () => readiness.check()));
    expect(probes).toBe(1);
    expect(burst.every((r) => r.ready)).toBe(true);
    healthy = false;
    now = 999;
    expect((await readiness.check()).ready).toBe(true);
    expect(probes).toBe(1);
    now = 1000;
    expect(await readiness.check()).toEqual({ ready: false, draining: false, checks: { redis: 'unreachable' } });
    expect(probes).toBe(2);
    readiness.beginDrain();
    expect(await readiness.check()).toEqual({ ready: false, draining: true, checks: { redis: 'unreachable' } });
    expect(probes).toBe(2);
  });
});
