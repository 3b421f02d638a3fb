/**
 * Issue 12: time from `DELETE /v1/users/{id}` to `GET /v1/erasures/{id}` answering `complete`, while
 * other users' events flow at a steady rate. One erasure at a time, about one a second, each of a
 * user who has interest state; polled every 5 ms.
 */
import { randomUUID } from 'node:crypto';
import type { InteractionInput } from '../services/adapters/kafka/interaction-publisher.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue } from '../services/workload/catalogue.js';
import { BenchEnv, freePort, sleep, type Stack } from './env.js';
import { waitReady } from './freshness.js';
import { latencySummary, round, type Row } from './report.js';

export interface ErasureOptions {
  /** Events per second of other traffic. */
  readonly rate: number;
  readonly seconds: number;
}

const TICK_MS = 10;
const ERASE_EVERY_MS = 1000;
const TIMEOUT_MS = 10_000;
const TARGET_MS = 5000;

/** How long one erasure took: until DELETE answered, and until complete (NaN past TIMEOUT_MS). */
interface Timing {
  readonly answered: number;
  readonly complete: number;
}

async function eraseAndWait(httpPort: number, userId: string): Promise<Timing> {
  const base = `http://127.0.0.1:${httpPort}`;
  const started = performance.now();
  const del = await fetch(`${base}/v1/users/${userId}`, { method: 'DELETE' });
  const { erasureId } = (await del.json()) as { erasureId: string };
  const answered = performance.now() - started;
  while (performance.now() - started < TIMEOUT_MS) {
    const s = (await (await fetch(`${base}/v1/erasures/${erasureId}`)).json()) as { status: string };
    if (s.status === 'complete') return { answered, complete: performance.now() - started };
    await sleep(5);
  }
  return { answered, complete: Number.NaN };
}

export async function erasureCompletion(stack: Stack, o: ErasureOptions): Promise<{ rows: Row[]; log: string[] }> {
  const httpPort = await freePort();
  const historyTopic = `bench-erasure-history-${randomUUID().slice(0, 8)}`;
  const env = new BenchEnv(stack, 'erase', { QUERY_HTTP_PORT: String(httpPort), QUERY_GRPC_PORT: String(await freePort()), HISTORY_TOPIC: historyTopic });
  try {
    await env.start();
    const catalogue = createCatalogue({ items: 2_000, dimension: 256, clusters: 20, seed: 31 });
    await env.importCatalogue(catalogue);
    const ingest = env.spawnCli('ingest');
    const query = env.spawnCli('query');
    await Promise.all([env.groupStable(), waitReady(httpPort)]);

    const targets = Array.from({ length: Math.ceil(o.seconds) + 1 }, (_, i) => `erase-me-${i}`);
    await env.publisher.publish(targets.flatMap((userId, i) => [0, 1, 2].map((k) => ({ userId, itemId: catalogue.itemId((i * 3 + k) % catalogue.size), type: 'VIEW' as const }))));
    await env.drained();

    const background = createActivity(catalogue, { users: 2_000, events: Math.ceil(o.rate * o.seconds) + 100, seed: 32 }).events();
    const times: Array<Promise<Timing>> = [];
    let erasing: Promise<Timing> | undefined;
    let next = 0;
    let sent = 0;
    const started = performance.now();
    for (let tick = 0; performance.now() - started < o.seconds * 1000; tick++) {
      const due = Math.floor(((performance.now() - started) / 1000) * o.rate) - sent;
      const batch: InteractionInput[] = [];
      for (let i = 0; i < due; i++) {
        const e = background.next();
        if (!e.done) batch.push(e.value);
      }
      if (batch.length > 0) await env.publisher.publish(batch);
      sent += batch.length;
      if (erasing === undefined && performance.now() - started >= next * ERASE_EVERY_MS && next < targets.length) {
        const p = eraseAndWait(httpPort, targets[next++]!);
        erasing = p;
        void p.finally(() => (erasing = undefined));
        times.push(p);
      }
      await sleep(Math.max(0, started + (tick + 1) * TICK_MS - performance.now()));
    }
    const elapsed = (performance.now() - started) / 1000;
    const timings = await Promise.all(times);
    await Promise.all([env.stop(ingest), env.stop(query)]);

    const all = timings.map((t) => t.complete);
    const ok = all.filter((x) => !Number.isNaN(x));
    const s = latencySummary(ok);
    const answered = latencySummary(timings.map((t) => t.answered));
    const variant = `${o.rate.toLocaleString('en-US')} events/s of other traffic`;
    const notes = `${ok.length} erasures (${all.length - ok.length} not complete within ${TIMEOUT_MS} ms) at ${Math.round(sent / elapsed)} events/s achieved; DELETE answered in p50 ${round(answered.p50, 1)} ms`;
    return {
      rows: [
        { measurement: 'DELETE -> erasure complete', variant: `${variant}, p50`, value: round(s.p50, 1), unit: 'ms', notes },
        {
          measurement: 'DELETE -> erasure complete',
          variant: `${variant}, max`,
          value: round(s.max, 1),
          unit: 'ms',
          target: `<= ${TARGET_MS}`,
          met: ok.length === all.length && all.length > 0 && s.max <= TARGET_MS,
          details: { ...s, answered, erasures: all.length, sent, seconds: elapsed },
        },
      ],
      log: [],
    };
  } finally {
    await env.admin.deleteTopics({ topics: [historyTopic, `${historyTopic}.dlq`] }).catch(() => {});
    await env.close();
  }
}
