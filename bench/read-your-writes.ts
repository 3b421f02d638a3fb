/**
 * Read-your-writes: the round trip of a producer that publishes one view and at once asks for the
 * user's recommendations with the publish's consistency token (`?after=`), against the baseline in
 * the same run: the same publish, then polling the recommendations every 2 ms until they count the
 * event (what a client without the token has to do). Ingest and query run as child processes; one
 * round at a time, each to a probe user in turn, with no other traffic.
 */
import { createCatalogue } from '../services/workload/catalogue.js';
import { BenchEnv, freePort, sleep, type Stack } from './env.js';
import { pollUntil, waitReady } from './freshness.js';
import { latencySummary, round, type Row } from './report.js';

export interface ReadYourWritesOptions {
  /** Rounds of each kind (with the token, and polling). */
  readonly rounds: number;
  /** INGEST_FETCH_WAIT_MS of the ingest child (named in the rows); its default when absent. */
  readonly fetchWaitMs?: number;
}

const PROBE_USERS = 20;

export async function readYourWrites(stack: Stack, o: ReadYourWritesOptions): Promise<{ rows: Row[]; log: string[] }> {
  const httpPort = await freePort();
  const env = new BenchEnv(stack, 'ryw', { QUERY_HTTP_PORT: String(httpPort), QUERY_GRPC_PORT: String(await freePort()), AFTER_WAIT_MS: '1000' });
  try {
    await env.start();
    const catalogue = createCatalogue({ items: 2_000, dimension: 256, clusters: 20, seed: 31 });
    await env.importCatalogue(catalogue);
    const ingest = env.spawnCli('ingest', { env: o.fetchWaitMs === undefined ? {} : { INGEST_FETCH_WAIT_MS: String(o.fetchWaitMs) } });
    const query = env.spawnCli('query');
    await Promise.all([env.groupStable(), waitReady(httpPort)]);
    const probes = Array.from({ length: PROBE_USERS }, (_, i) => `probe-${i}`);
    const counts = new Map(probes.map((u) => [u, 0]));
    /** How long each publish itself took (acks=all): the part of a round before ingest can start. */
    const publishMs: number[] = [];
    const itemId = (n: number) => catalogue.itemId(n % catalogue.size);

    /** One publish of a view to the round's probe user; resolves to the token and the count it makes. */
    const publishView = async (round: number) => {
      const userId = probes[round % PROBE_USERS]!;
      counts.set(userId, counts.get(userId)! + 1);
      const sentAt = performance.now();
      const { token } = await env.publisher.publishWithToken([{ userId, itemId: itemId(round), type: 'VIEW' }]);
      publishMs.push(performance.now() - sentAt);
      return { userId, token, expected: counts.get(userId)!, sentAt };
    };
    // Warm-up: every probe user exists, every connection on the way is open.
    for (let i = 0; i < PROBE_USERS; i++) {
      const p = await publishView(i);
      await pollUntil(httpPort, p.userId, p.expected, p.sentAt);
    }

    const withToken: number[] = [];
    const polled: number[] = [];
    let notCaughtUp = 0;
    let stale = 0;
    // Interleaved, so both kinds see the same machine load over the run.
    for (let round = 0; round < 2 * o.rounds; round++) {
      const p = await publishView(round);
      if (round % 2 === 0) {
        const url = `http://127.0.0.1:${httpPort}/v1/users/${p.userId}/recommendations?limit=10&after=${p.token}`;
        const body = (await (await fetch(url)).json()) as { freshness: { eventCount: number; caughtUp?: boolean } };
        withToken.push(performance.now() - p.sentAt);
        if (body.freshness.caughtUp !== true) notCaughtUp++;
        if (body.freshness.eventCount < p.expected) stale++;
      } else {
        polled.push(await pollUntil(httpPort, p.userId, p.expected, p.sentAt));
      }
      await sleep(5);
    }
    await Promise.all([env.stop(ingest), env.stop(query)]);

    const t = latencySummary(withToken);
    const pub = latencySummary(publishMs.slice(PROBE_USERS));
    const okPolled = polled.filter((x) => !Number.isNaN(x));
    const b = latencySummary(okPolled);
    const measurement = `publish -> own event in the answer${o.fetchWaitMs === undefined ? '' : ` (fetch wait ${o.fetchWaitMs} ms)`}`;
    return {
      rows: [
        {
          measurement,
          variant: 'with the token (?after=), p99',
          value: round(t.p99, 1),
          unit: 'ms',
          notes: `p50 ${round(t.p50, 1)} ms (the publish alone: p50 ${round(pub.p50, 1)}, p99 ${round(pub.p99, 1)} ms); ${o.rounds} rounds, ${notCaughtUp} not caught up, ${stale} stale answers`,
          details: { ...t, notCaughtUp, stale, publish: pub },
        },
        {
          measurement,
          variant: 'baseline: poll every 2 ms until it counts the event, p99',
          value: round(b.p99, 1),
          unit: 'ms',
          notes: `p50 ${round(b.p50, 1)} ms; ${polled.length - okPolled.length} timed out`,
          details: { ...b, timedOut: polled.length - okPolled.length },
        },
        { measurement, variant: 'token p99 / polling p99', value: round(t.p99 / b.p99, 2), unit: 'x', notes: `p50 ratio ${round(t.p50 / b.p50, 2)}; below 1: the token is faster` },
      ],
      log: [],
    };
  } finally {
    await env.close();
  }
}
