import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- no type declarations for the .mjs stack script
import { startNativeBroker } from '../../infra/stack/stack.mjs';
import { DLQ_HEADERS } from '../../services/adapters/kafka/dead-letters.js';
import { dlqTopic } from '../../services/core/names.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { OwnRedis } from '../support/own-redis.js';
import { rng } from '../support/random.js';
import { referenceFold } from '../support/reference-fold.js';
import { mismatches } from '../support/state-checks.js';
import { unique } from '../support/names.js';
import { workload } from '../support/workload.js';
import { badEvents, publishFlowing, readDeadLetters } from './chaos-traffic.js';

const BROKER_PORT = 21092;
const CONTROLLER_PORT = 21093;
const REDIS_PORT = 21379;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Chaos: while events flow, ingest processes are SIGKILLed at random moments (≥ 20), scaled out
 * 1 -> 3 -> 1, the broker is restarted, Redis is SIGKILLed and restarted from its AOF, and Redis is
 * flushed. At the end every vector equals an independent fold, no event is counted twice, and every
 * published event is folded or dead-lettered with a reason. Prints one summary line.
 */
describe('chaos run', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-'));
  const redis = new OwnRedis(REDIS_PORT);
  let brokerPid = 0;
  let h: IngestHarness;

  beforeAll(async () => {
    brokerPid = (await startNativeBroker({ port: BROKER_PORT, controllerPort: CONTROLLER_PORT, dir, heap: '384m' })).pid;
    await redis.start();
    h = new IngestHarness({ kafkaBrokers: `127.0.0.1:${BROKER_PORT}`, redisUrl: redis.url, partitions: 3 });
    h.redis.on('error', () => {});
    await h.start();
  });
  afterAll(async () => {
    await h?.close().catch(() => {});
    await redis.close();
    killPid(brokerPid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends with every vector equal to the reference fold, nothing counted twice, every event folded or dead-lettered', async () => {
    const w = workload({ seed: 2026, items: 80, users: 150, events: 4000, dimension: 8, erase: true });
    await h.importItems(w.items);
    const bad = badEvents(w.userIds, 40);
    const rand = rng(7);
    const counts = { kills: 0, maxIngests: 0, brokerRestarts: 0, redisRestarts: 0, flushes: 0 };
    const ingests = new Set<ChildProcess>();
    let desired = 1;
    const spawn = () => {
      const child = h.spawnIngest([], { KAFKA_CLIENT_ID: unique('chaos') });
      ingests.add(child);
      child.once('exit', () => ingests.delete(child));
    };
    let publishing = true;
    const traffic = publishFlowing(h, w.events, bad, 60_000).finally(() => (publishing = false));

    // Supervisor and killer: keeps `desired` ingests alive and SIGKILLs one every 1.5-3 s.
    const chaos = (async () => {
      for (let t = 0; publishing || counts.kills < 20; t++) {
        while (ingests.size < desired) spawn();
        while (ingests.size > desired) await h.kill([...ingests][0]!, 'SIGTERM');
        counts.maxIngests = Math.max(counts.maxIngests, ingests.size);
        await sleep(1500 + rand() * 1500);
        const victim = [...ingests][Math.floor(rand() * ingests.size)];
        if (victim) {
          await h.kill(victim, 'SIGKILL');
          counts.kills++;
        }
      }
    })();
    const faults = (async () => {
      await sleep(8_000);
      desired = 3;
      await sleep(12_000);
      killPid(brokerPid, 'SIGTERM');
      await waitExit(brokerPid);
      brokerPid = (await startNativeBroker({ port: BROKER_PORT, controllerPort: CONTROLLER_PORT, dir, heap: '384m' })).pid;
      counts.brokerRestarts++;
      await sleep(8_000);
      desired = 1;
      await redis.kill();
      await redis.start();
      counts.redisRestarts++;
      await sleep(8_000);
      await h.redis.flushall();
      counts.flushes++;
    })();
    await Promise.all([traffic, faults, chaos]);

    while (ingests.size > 0) await h.kill([...ingests][0]!, 'SIGTERM');
    const last = h.spawnIngest([], { KAFKA_CLIENT_ID: 'chaos-last' });
    await h.joined('chaos-last', 120_000);
    await h.drained(240_000);

    const hot = await h.hotStates(w.userIds);
    const durable = await h.durableStates(w.userIds);
    const reference = referenceFold(w.events, w.items);
    const doubleCounted = [...reference].filter(([id, ref]) => (durable.get(id)?.eventCount ?? 0) > ref.eventCount).length;
    const dead = await readDeadLetters(h, dlqTopic(h.config.interactionsTopic), bad.length);
    const deadBad = bad.filter((b) => dead.has(b.value.toString('hex')));
    const reasons = new Set([...dead.values()].map((headers) => headers[DLQ_HEADERS.code]));
    const wrong = [...new Set([...mismatches(hot, w.events, w.items), ...mismatches(durable, w.events, w.items)])];
    const folded = [...reference.values()].reduce((n, r) => n + r.eventCount, 0);
    console.log(
      `chaos: events=${w.events.length + bad.length} final-event-counts=${folded} dead-lettered=${deadBad.length}/${bad.length} reasons=${[...reasons].sort().join('+')} ` +
        `users=${reference.size} mismatched=${wrong.length} double-counted=${doubleCounted} ingest-kills=${counts.kills} max-ingests=${counts.maxIngests} ` +
        `broker-restarts=${counts.brokerRestarts} redis-kill-restarts=${counts.redisRestarts} flushes=${counts.flushes}`,
    );
    await h.kill(last, 'SIGTERM');
    expect(wrong).toEqual([]);
    expect(doubleCounted).toBe(0);
    expect(deadBad.length).toBe(bad.length);
    expect(counts.kills).toBeGreaterThanOrEqual(20);
    expect(counts.maxIngests).toBe(3);
    expect([counts.brokerRestarts, counts.redisRestarts, counts.flushes]).toEqual([1, 1, 1]);
  });
});

function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    if (pid > 0) process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitExit(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(200);
  }
}
