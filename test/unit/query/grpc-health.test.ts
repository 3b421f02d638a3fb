import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { GrpcHealth } from '../../../services/query/grpc-health.js';
import type { Readiness } from '../../../services/query/readiness.js';

/** A server stream as far as GrpcHealth uses it: request, write, cancelled, events. */
class FakeStream extends EventEmitter {
  readonly request = { service: '' };
  readonly written: string[] = [];
  cancelled = false;
  write(msg: { status: string }): boolean {
    this.written.push(msg.status);
    return true;
  }
  end(): void {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GrpcHealth Watch', () => {
  it('serves any number of streams from one probe loop, not one loop per stream', async () => {
    let checks = 0;
    const readiness = { check: async () => (checks++, { ready: true, draining: false, checks: {} }) } as unknown as Readiness;
    const health = new GrpcHealth(readiness, [], { watchIntervalMs: 50, maxWatchers: 100 });
    const streams = Array.from({ length: 40 }, () => new FakeStream());
    for (const s of streams) health.implementation.Watch!(s as never, undefined as never);
    await sleep(10);
    expect(checks).toBe(1);
    expect(streams.every((s) => s.written.join() === 'SERVING')).toBe(true);
    await sleep(120);
    expect(checks).toBeGreaterThanOrEqual(2);
    expect(checks).toBeLessThanOrEqual(4);
    // Changes only: still one SERVING per stream.
    expect(streams.every((s) => s.written.length === 1)).toBe(true);
    for (const s of streams) s.emit('cancelled');
    expect(health.watching).toBe(0);
    const before = checks;
    await sleep(120);
    expect(checks).toBe(before);
  });
});
