/**
 * Measurement 3: event -> fresh recommendation. Events are published at a steady rate; every 50 ms,
 * when no probe is pending, one goes to a probe user, and the time from just before its publish
 * until the query service's HTTP recommendations answer counts it (freshness.eventCount, polled
 * every 2 ms) is that event's latency.
 */
import type { InteractionInput } from '../services/adapters/kafka/interaction-publisher.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue } from '../services/workload/catalogue.js';
import { BenchEnv, freePort, sleep, type Stack } from './env.js';
import { describeProfile, monotonicUs, summariseProfiles } from './profile.js';
import { latencySummary, round, type Row } from './report.js';

export interface FreshnessOptions {
  /** Events per second over all users. */
  readonly rate: number;
  readonly seconds: number;
  readonly profile: boolean;
  /**
   * Seconds of the same background traffic before the first probe, so that the probes see the steady
   * state (the background users known, the catalogue in ingest's cache) rather than the first
   * seconds after a start, when every batch looks its users and items up in the durable store. 0: none.
   */
  readonly warmupSeconds?: number;
  /** INGEST_FETCH_WAIT_MS of the ingest child (named in the rows); its default when absent. */
  readonly fetchWaitMs?: number;
}

const TICK_MS = 10;
const PROBE_EVERY_TICKS = 5;
const PROBE_USERS = 20;
const POLL_TIMEOUT_MS = 5_000;
/** Issue 15's targets: p50 15 ms and p99 50 ms at 1,000 events/s; p99 150 ms at 10,000 (and above). */
const p99Target = (rate: number): number => (rate >= 10_000 ? 150 : 50);
const p50Target = (rate: number): number | undefined => (rate >= 10_000 ? undefined : 15);

/** Waits for the query service to answer /readyz with 200. */
export async function waitReady(httpPort: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`query service on ${httpPort} not ready within ${timeoutMs} ms`);
}

/** Polls the user's recommendations until they reflect `expected` events; the ms since `sentAt`, or NaN on timeout. */
export async function pollUntil(httpPort: number, userId: string, expected: number, sentAt: number): Promise<number> {
  const url = `http://127.0.0.1:${httpPort}/v1/users/${userId}/recommendations?limit=10`;
  while (performance.now() - sentAt < POLL_TIMEOUT_MS) {
    const body = (await (await fetch(url)).json()) as { freshness: { eventCount: number } };
    if (body.freshness.eventCount >= expected) return performance.now() - sentAt;
    await sleep(2);
  }
  return Number.NaN;
}

/** The value of one series (name with its labels, as printed) in a Prometheus text page; NaN when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

/**
 * Where ingest's part of the latency goes, from its own /metrics: batches, their size and time, the
 * durable writes, how many states were looked up in the durable store, and its freshness summary.
 */
async function ingestBatchSummary(port: number): Promise<string> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), (e: Error) => `unavailable: ${e.message}`);
  const m = (series: string) => sample(text, `interest_stream_ingest_${series}`);
  const [batches, seconds, events] = [m('batch_seconds_count'), m('batch_seconds_sum'), m('batch_size_sum')];
  const [writes, writeSeconds] = [m('durable_write_seconds_count'), m('durable_write_seconds_sum')];
  const quantile = (q: string) => round(1000 * m(`freshness_seconds{quantile="${q}"}`), 1);
  return [
    `${batches} batches of ${round(events / batches, 1)} events on average, ${round((1000 * seconds) / batches, 1)} ms each (${round(seconds, 1)} s busy in all)`,
    `${writes} durable writes of ${round((1000 * writeSeconds) / writes, 1)} ms on average`,
    `${m('rehydrated_total')} states rehydrated, ${m('untrusted_states_total')} untrusted`,
    `ingest freshness (append to Redis) p50 ${quantile('0.5')} ms, p99 ${quantile('0.99')} ms`,
  ].join('; ');
}

export async function freshness(stack: Stack, o: FreshnessOptions): Promise<{ rows: Row[]; log: string[] }> {
  const httpPort = await freePort();
  const env = new BenchEnv(stack, 'fresh', { QUERY_HTTP_PORT: String(httpPort), QUERY_GRPC_PORT: String(await freePort()) });
  const log: string[] = [];
  try {
    await env.start();
    const catalogue = createCatalogue({ items: 2_000, dimension: 256, clusters: 20, seed: 21 });
    await env.importCatalogue(catalogue);
    const profileDir = o.profile ? env.newProfileDir() : undefined;
    const fetchWait: Record<string, string> = o.fetchWaitMs === undefined ? {} : { INGEST_FETCH_WAIT_MS: String(o.fetchWaitMs) };
    const metricsPort = await freePort();
    const ingest = env.spawnCli('ingest', { profileDir, env: { ...fetchWait, METRICS_PORT: String(metricsPort) } });
    const query = env.spawnCli('query');
    await Promise.all([env.groupStable(), waitReady(httpPort)]);

    const probes = Array.from({ length: PROBE_USERS }, (_, i) => `probe-${i}`);
    const counts = new Map(probes.map((u) => [u, 1]));
    const itemId = (n: number) => catalogue.itemId(n % catalogue.size);
    // Warm-up: every probe user exists, and every connection on the way is open.
    const warmAt = performance.now();
    await env.publisher.publish(probes.map((userId, i) => ({ userId, itemId: itemId(i), type: 'VIEW' })));
    await Promise.all(probes.map((u) => pollUntil(httpPort, u, 1, warmAt)));

    const warmupMs = (o.warmupSeconds ?? 0) * 1000;
    const background = createActivity(catalogue, { users: 2_000, events: Math.ceil(o.rate * (o.seconds + warmupMs / 1000)) + 100, seed: 22 }).events();
    const pending: Array<Promise<number>> = [];
    // One probe at a time: overlapping probes, each polling in a tight loop, would measure the
    // query service saturated by the probes themselves rather than how fresh the answers are.
    let probing: Promise<number> | undefined;
    const fromUs = monotonicUs();
    const started = performance.now();
    let sent = 0;
    for (let tick = 0; performance.now() - started < warmupMs + o.seconds * 1000; tick++) {
      const due = Math.floor(((performance.now() - started) / 1000) * o.rate) - sent;
      const batch: InteractionInput[] = [];
      for (let i = 0; i < due; i++) {
        const next = background.next();
        if (!next.done) batch.push(next.value);
      }
      let probe: { userId: string; expected: number } | undefined;
      if (tick % PROBE_EVERY_TICKS === 0 && batch.length > 0 && probing === undefined && performance.now() - started >= warmupMs) {
        const userId = probes[(tick / PROBE_EVERY_TICKS) % PROBE_USERS]!;
        probe = { userId, expected: counts.get(userId)! + 1 };
        counts.set(userId, probe.expected);
        batch[batch.length - 1] = { userId, itemId: itemId(tick), type: 'VIEW' };
      }
      const sentAt = performance.now();
      if (batch.length > 0) await env.publisher.publish(batch);
      sent += batch.length;
      if (probe) {
        const p = pollUntil(httpPort, probe.userId, probe.expected, sentAt);
        probing = p;
        void p.finally(() => {
          if (probing === p) probing = undefined;
        });
        pending.push(p);
      }
      await sleep(Math.max(0, started + (tick + 1) * TICK_MS - performance.now()));
    }
    const elapsed = (performance.now() - started) / 1000;
    const latencies = await Promise.all(pending);
    const window = { fromUs, toUs: monotonicUs() };
    log.push(`ingest during the freshness run (${o.rate} events/s): ${await ingestBatchSummary(metricsPort)}`);
    await Promise.all([env.stop(ingest), env.stop(query)]);
    const summary = profileDir ? summariseProfiles(profileDir, window) : undefined;
    if (summary) log.push(describeProfile('ingest during the freshness run', summary));

    const ok = latencies.filter((x) => !Number.isNaN(x));
    const s = latencySummary(ok);
    const note = `${ok.length} probes (${latencies.length - ok.length} timed out) at ${Math.round(sent / elapsed)} events/s achieved`;
    const targetP99 = p99Target(o.rate);
    const targetP50 = p50Target(o.rate);
    const phase = warmupMs > 0 ? `, after a ${warmupMs / 1000} s warm-up` : ', from the start (cold)';
    const variant = `${o.rate.toLocaleString('en-US')} events/s, HTTP${o.fetchWaitMs === undefined ? '' : `, fetch wait ${o.fetchWaitMs} ms`}${phase}`;
    return {
      rows: [
        {
          measurement: 'event -> fresh recommendation',
          variant: `${variant}, p50`,
          value: round(s.p50, 1),
          unit: 'ms',
          target: targetP50 === undefined ? undefined : `<= ${targetP50}`,
          met: targetP50 === undefined ? null : s.p50 <= targetP50,
          notes: note,
        },
        {
          measurement: 'event -> fresh recommendation',
          variant: `${variant}, p99`,
          value: round(s.p99, 1),
          unit: 'ms',
          target: `<= ${targetP99}`,
          met: s.p99 <= targetP99 && ok.length === latencies.length,
          notes: `max ${round(s.max, 1)} ms`,
          details: { ...s, sent, seconds: elapsed, timedOut: latencies.length - ok.length, profile: summary },
        },
      ],
      log,
    };
  } finally {
    await env.close();
  }
}
