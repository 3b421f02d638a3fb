import { describe, expect, inject, it, onTestFinished } from 'vitest';
import type { Watermark } from '../../services/domain/types.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { mismatches } from '../support/state-checks.js';
import { workload } from '../support/workload.js';

/** Watches the durable users collection and records every watermark that went backwards. */
function watchDurable(h: IngestHarness, userIds: readonly string[]) {
  const seen = new Map<string, Watermark>();
  const decreases: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const states = await h.durableStates(userIds).catch(() => new Map());
      for (const [id, s] of states) {
        const before = seen.get(id);
        const now = s.watermark as Watermark | null;
        if (now === null) continue;
        if (before && before.partition === now.partition && BigInt(now.offset) < BigInt(before.offset)) decreases.push(`${id}: ${before.offset} -> ${now.offset}`);
        seen.set(id, now);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    decreases,
    polls: () => seen.size,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('a paused consumer (zombie) never puts an older state over a newer one', () => {
  it('Zombie: one of two ingest processes SIGSTOPped past the session timeout while the other folds on; SIGCONT -> no durable watermark ever decreases', async () => {
    const w = workload({ seed: 77, items: 60, users: 60, events: 2400, dimension: 8, erase: true });
    const parts = [w.events.slice(0, 600), w.events.slice(600, 1800), w.events.slice(1800)];
    const h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl'), partitions: 4 });
    onTestFinished(() => h.close());
    await h.start();
    await h.importItems(w.items);
    const a = h.spawnIngest([], { KAFKA_CLIENT_ID: 'zombie-a' });
    await h.joined('zombie-a');
    h.spawnIngest([], { KAFKA_CLIENT_ID: 'zombie-b' });
    await h.joined('zombie-b');
    const watch = watchDurable(h, w.userIds);
    onTestFinished(() => watch.stop());

    await h.publisher.publish(parts[0]!);
    await h.drained(90_000);
    // Stopped while events flow, so it is likely to hold batches and durable writes in flight.
    const flowing = (async () => {
      for (let i = 0; i < parts[1]!.length; i += 60) {
        await h.publisher.publish(parts[1]!.slice(i, i + 60));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 700));
    a.kill('SIGSTOP');
    await flowing;
    // After the session timeout (KAFKA_SESSION_TIMEOUT_MS, 10 s in the harness) the other process takes the partitions over and drains them.
    await h.drained(120_000);
    a.kill('SIGCONT');
    await h.publisher.publish(parts[2]!);
    await h.drained(120_000);
    // Time for the resumed process' late writes, if any, to land (and be refused).
    await new Promise((r) => setTimeout(r, 3000));
    await watch.stop();

    expect(watch.polls()).toBe(w.userIds.length);
    expect(watch.decreases).toEqual([]);
    expect(mismatches(await h.durableStates(w.userIds), w.events, w.items)).toEqual([]);
    expect(mismatches(await h.hotStates(w.userIds), w.events, w.items)).toEqual([]);
  }, 300_000);
});
