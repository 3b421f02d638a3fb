import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { randomVector, rng } from '../support/random.js';
import { maxAbsDiff, referenceFold, type RefEvent } from '../support/reference-fold.js';

// Sized so that back-pressure must act (the backlog's states are five times the pending budget)
// while the file stays short: it runs in both CI passes.
const USERS = 20_000;
const EVENTS = 80_000;
const D = 256;
// A fixed port of this suite's range (22000-22999): the child's /metrics is read at the end.
const METRICS_PORT = 22011;

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

describe('ingest: a backlog larger than its memory', () => {
  // Back-pressure must act in a backlog this size: 8 MiB of pending states is about 4,000 of these users.
  const h = new IngestHarness({
    kafkaBrokers: inject('kafkaBrokers'),
    redisUrl: inject('redisUrl'),
    partitions: 3,
    extraEnv: { METRICS_PORT: String(METRICS_PORT), INGEST_MAX_PENDING_BYTES: String(8 * 1024 * 1024), LOG_LEVEL: 'error' },
  });
  const rand = rng(2026);
  const items = new Map<string, Float32Array>();
  for (let i = 0; i < 500; i++) items.set(`item-${i}`, randomVector(rand, D));
  const ids = [...items.keys()];
  const events: RefEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
    eventId: randomUUID(),
    // Every user gets four events, spread over the whole backlog.
    userId: `user-${i % USERS}`,
    itemId: ids[Math.floor(rand() * ids.length)]!,
    type: 'VIEW',
    weight: 1,
  }));

  beforeAll(async () => {
    await h.start();
    await h.importItems(items);
  });
  afterAll(() => h.close());

  it('folds 80k events for 20k users at d=256 in a 256 MiB heap, pausing fetches while the durable writer is behind', async () => {
    for (let i = 0; i < events.length; i += 5000) await h.publisher.publish(events.slice(i, i + 5000));
    const child = h.spawnIngest([], { NODE_OPTIONS: '--max-old-space-size=256' });
    await eventually(() => metric('interest_stream_ingest_pending_states').then((n) => !Number.isNaN(n)), { timeoutMs: 120_000, intervalMs: 500 });
    await h.drained(900_000);
    expect(child.exitCode).toBe(null);
    expect(await metric('interest_stream_ingest_pauses_total')).toBeGreaterThan(0);
    expect(await metric('interest_stream_ingest_paused_seconds_total')).toBeGreaterThan(0);

    const sample = Array.from({ length: 200 }, (_, i) => `user-${i * 100}`);
    const expected = referenceFold(events.filter((e) => sample.includes(e.userId)), items);
    const states = await h.durableStates(sample);
    const wrong = sample.filter((id) => {
      const s = states.get(id);
      return !s || s.eventCount !== 4 || maxAbsDiff(s.vector!, expected.get(id)!.vector!) > 1e-5;
    });
    expect(wrong).toEqual([]);
    await h.kill(child, 'SIGTERM');
    expect(child.exitCode).toBe(0);
  }, 1_200_000);
});
