/**
 * Measurement 4: query latency (open loop at a fixed rate) and throughput (closed loop) over HTTP
 * and gRPC, per catalogue size, embedded store. Users' states are folded here with the domain fold
 * from generated activity and written to Redis, as ingest would have left them.
 */
import { emptyUserState, foldEvents, type FoldInput } from '../services/domain/fold.js';
import type { UserState } from '../services/domain/types.js';
import { RedisUserStateStore } from '../services/adapters/redis/redis-user-state-store.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue, type Catalogue } from '../services/workload/catalogue.js';
import { annIndex } from './ann-index.js';
import { serviceRecall } from './service-recall.js';
import { BenchEnv, freePort, productFoldParams, sleep, type Stack } from './env.js';
import { waitReady } from './freshness.js';
import { MAX_IN_FLIGHT, closedLoop, grpcClient, httpRequest, openLoop, type OpenLoopResult, type Request } from './load.js';
import { describeProfile, monotonicUs, summariseProfiles } from './profile.js';
import { latencySummary, round, type Row } from './report.js';

export interface QueryOptions {
  readonly items: readonly number[];
  readonly latencySeconds: number;
  readonly closedLoopSeconds: number;
  readonly profile: boolean;
  /** Also measure the smallest size on Qdrant when QDRANT_URL is set (default true). */
  readonly qdrant?: boolean;
}

const DIMENSION = 256;
const USERS = 200;
const RATE = 100;
const CONCURRENCY = 4;
const SEQUENTIAL = 40;
const SHARED_CPU = 'load generator shares the 2 cores';
/** From 1M items the in-process index (a second build) is skipped; recall is taken from the service's answers. */
const LARGE = 1_000_000;

/** Issue 15's targets for one catalogue size and transport: open-loop p99 (ms), closed-loop requests/s. */
interface Targets {
  readonly p99?: number;
  readonly rps?: number;
}

function targetsFor(items: number, transport: 'HTTP' | 'gRPC'): Targets {
  if (items >= LARGE) return transport === 'HTTP' ? { p99: 15 } : {};
  if (items >= 100_000) return transport === 'HTTP' ? { p99: 5, rps: 1500 } : { p99: 8 };
  return {};
}

/** States of USERS users after 50 events each, folded exactly as ingest folds them. */
export function foldedUsers(catalogue: Catalogue): UserState[] {
  const activity = createActivity(catalogue, { users: USERS, events: USERS * 50, seed: 32 });
  const events = [...activity.events()];
  const needed = new Set(events.map((e) => e.itemId));
  const vectors = new Map<string, Float32Array>();
  for (const item of catalogue.items()) if (needed.has(item.id)) vectors.set(item.id, item.vector);
  const byUser = new Map<string, FoldInput[]>();
  events.forEach((event, offset) => {
    const list = byUser.get(event.userId) ?? [];
    list.push({ event, item: vectors.get(event.itemId)!, watermark: { partition: 0, offset: String(offset) } });
    byUser.set(event.userId, list);
  });
  const params = productFoldParams(catalogue.dimension);
  return [...byUser].map(([userId, inputs]) => foldEvents(emptyUserState(userId), inputs, params).state);
}

function latencyRows(variant: string, transport: string, r: OpenLoopResult, targets: Targets): Row[] {
  const s = latencySummary(r.latencies);
  const shed = r.shed > 0 ? `, ${r.shed} shed (saturated: ${MAX_IN_FLIGHT} waiting)` : '';
  const notes = `${s.n} answered at ${RATE}/s scheduled, ${r.errors} errors${shed}, max send lag ${round(r.maxLagMs, 1)} ms; ${SHARED_CPU}`;
  return [
    { measurement: 'query latency', variant: `${variant}, ${transport}, p50`, value: round(s.p50), unit: 'ms', notes },
    {
      measurement: 'query latency',
      variant: `${variant}, ${transport}, p99`,
      value: round(s.p99),
      unit: 'ms',
      target: targets.p99 === undefined ? undefined : `<= ${targets.p99}`,
      met: targets.p99 === undefined ? null : s.p99 <= targets.p99 && r.errors === 0 && r.shed === 0,
      notes: `p90 ${round(s.p90)} ms, max ${round(s.max)} ms`,
      details: { ...s, errors: r.errors, shed: r.shed, maxLagMs: r.maxLagMs },
    },
  ];
}

async function measure(label: 'HTTP' | 'gRPC', variant: string, request: Request, users: string[], o: QueryOptions, targets: Targets): Promise<Row[]> {
  for (let i = 0; i < 10; i++) await request(users[i % users.length]!);
  const single: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now();
    await request(users[i % users.length]!);
    single.push(performance.now() - t);
  }
  const one = latencySummary(single);
  const open = await openLoop(request, users, RATE, o.latencySeconds);
  const closed = await closedLoop(request, users, CONCURRENCY, o.closedLoopSeconds);
  const c = latencySummary(closed.latencies);
  return [
    {
      measurement: 'query latency',
      variant: `${variant}, ${label}, one at a time, p50 / p99`,
      value: round(one.p50),
      unit: 'ms',
      notes: `p99 ${round(one.p99)} ms over ${SEQUENTIAL} sequential requests: the service time without queueing`,
      details: one,
    },
    ...latencyRows(variant, label, open, targets),
    {
      measurement: 'query throughput',
      variant: `${variant}, ${label}, closed loop x${CONCURRENCY}`,
      value: Math.round(closed.rps),
      unit: 'requests/s',
      target: targets.rps === undefined ? undefined : `>= ${targets.rps.toLocaleString('en-US')}`,
      met: targets.rps === undefined ? null : closed.rps >= targets.rps && closed.errors === 0,
      notes: `p50 ${round(c.p50)} ms under saturation, ${closed.errors} errors; ${SHARED_CPU}`,
      details: { ...c, errors: closed.errors },
    },
  ];
}

/** Whether the query service's /metrics shows a finished ANN index start (built, loaded or patched). */
async function indexStarted(httpPort: number): Promise<boolean> {
  const text = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text(), () => '');
  return text.split('\n').some((l) => l.startsWith('query_ann_index_starts_total{') && Number(l.slice(l.lastIndexOf(' ') + 1)) > 0);
}

/**
 * The query service builds its ANN index in the background after its first search (searches are
 * exact until then), so the measurement starts once the index is in: the first request starts the
 * build, then the service's /metrics is polled (searching meanwhile would run exact scans that slow
 * the build: at 1M items each takes seconds). Qdrant indexes on its side: one request is enough.
 * Returns the seconds waited.
 */
async function waitForIndex(request: Request, user: string, httpPort: number, embedded: boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await request(user);
  while (embedded && !(await indexStarted(httpPort))) {
    if (performance.now() - started > timeoutMs) throw new Error(`the query service's ANN index was not in after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(1000);
  }
  return (performance.now() - started) / 1000;
}

async function oneSize(stack: Stack, items: number, o: QueryOptions, store: 'embedded' | 'qdrant' = 'embedded'): Promise<{ rows: Row[]; log: string[] }> {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const storeEnv = store === 'qdrant' ? BenchEnv.qdrantEnv(stack, `query-${items}`) : {};
  const env = new BenchEnv(stack, `query-${items}`, { QUERY_HTTP_PORT: String(httpPort), QUERY_GRPC_PORT: String(grpcPort), ...storeEnv });
  const log: string[] = [];
  try {
    await env.start();
    const catalogue = createCatalogue({ items, dimension: DIMENSION, clusters: 20, seed: 31 });
    const importStarted = performance.now();
    await env.importCatalogue(catalogue);
    const importSeconds = (performance.now() - importStarted) / 1000;
    const states = foldedUsers(catalogue);
    await new RedisUserStateStore(env.redis, env.keys).putMany(states);
    const users = states.map((s) => s.userId);
    const profileDir = o.profile ? env.newProfileDir() : undefined;
    const query = env.spawnCli('query', { profileDir });
    await waitReady(httpPort);
    const variant = `${store === 'qdrant' ? 'Qdrant, ' : ''}${items.toLocaleString('en-US')} items, d=${DIMENSION}`;
    // A 100k index builds in ~50 s here; allow ~40 minutes at 1M.
    const indexWaitSeconds = await waitForIndex(httpRequest(httpPort), users[0]!, httpPort, store === 'embedded', Math.max(180_000, items * 2.4));
    const fromUs = monotonicUs();
    const rows = await measure('HTTP', variant, httpRequest(httpPort), users, o, targetsFor(items, 'HTTP'));
    const grpc = grpcClient(grpcPort);
    try {
      rows.push(...(await measure('gRPC', variant, grpc.request, users, o, targetsFor(items, 'gRPC'))));
    } finally {
      grpc.close();
    }
    const window = { fromUs, toUs: monotonicUs() };
    if (store === 'embedded' && items >= LARGE) rows.push(await recallRow(httpPort, variant, catalogue, states));
    await env.stop(query);
    if (store === 'embedded' && items >= LARGE) rows.push(...(await widerEf(env, httpPort, variant, catalogue, states, o)));
    const summary = profileDir ? summariseProfiles(profileDir, window) : undefined;
    if (summary) log.push(describeProfile(`query service, ${variant}`, summary));
    rows[0] = { ...rows[0]!, details: { importSeconds, indexWaitSeconds, seenPerUser: states[0]!.seen.length, profile: summary } };
    if (store === 'embedded') {
      rows.push({
        measurement: 'ANN index',
        variant: `${variant}, in the query service: first search to index in`,
        value: round(indexWaitSeconds, 1),
        unit: 's',
        notes: `built in a worker thread (searches are exact until then); catalogue import took ${round(importSeconds, 1)} s`,
      });
    }
    if (store === 'embedded' && items < LARGE) rows.push(...(await annIndex(catalogue, states)));
    return { rows, log };
  } finally {
    await env.close();
  }
}

/** Search-time ef values the large catalogue is also measured with, on the graph the first start built and saved. */
const LARGE_WIDER_EF = [256];

/**
 * The query service started again with a wider HNSW_EF_SEARCH: it loads the saved index (no
 * rebuild: ef is not part of the graph) and is measured over HTTP, recall included.
 */
async function widerEf(env: BenchEnv, httpPort: number, variant: string, catalogue: Catalogue, states: readonly UserState[], o: QueryOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const users = states.map((s) => s.userId);
  for (const ef of LARGE_WIDER_EF) {
    const query = env.spawnCli('query', { env: { HNSW_EF_SEARCH: String(ef) } });
    try {
      await waitReady(httpPort);
      const loadSeconds = await waitForIndex(httpRequest(httpPort), users[0]!, httpPort, true, 600_000);
      const named = `${variant}, HNSW_EF_SEARCH=${ef} (saved index loaded in ${round(loadSeconds, 1)} s)`;
      rows.push(...(await measure('HTTP', named, httpRequest(httpPort), users, o, targetsFor(catalogue.size, 'HTTP'))));
      rows.push(await recallRow(httpPort, named, catalogue, states));
    } finally {
      await env.stop(query);
    }
  }
  return rows;
}

async function recallRow(httpPort: number, variant: string, catalogue: Catalogue, states: readonly UserState[]): Promise<Row> {
  const r = await serviceRecall(httpPort, catalogue, states);
  return {
    measurement: 'query recall',
    variant: `${variant}, HTTP answers, recall@10`,
    value: round(r.recall, 3),
    unit: '',
    target: '>= 0.95',
    met: r.recall >= 0.95,
    notes: `${r.users} users' answers against brute force with the same exclusions (${round(r.bruteForceSeconds, 1)} s)`,
    details: { ...r },
  };
}

export async function queryLatency(stack: Stack, o: QueryOptions): Promise<{ rows: Row[]; log: string[] }> {
  const rows: Row[] = [];
  const log: string[] = [];
  for (const items of o.items) {
    const r = await oneSize(stack, items, o);
    rows.push(...r.rows);
    log.push(...r.log);
  }
  if (o.qdrant === false) return { rows, log };
  if (stack.qdrantUrl) {
    // Under a collection prefix of its own: the catalogue of the Qdrant at QDRANT_URL is never touched.
    const r = await oneSize(stack, Math.min(...o.items), o, 'qdrant');
    rows.push(...r.rows);
    log.push(...r.log);
  } else {
    rows.push({ measurement: 'query latency', variant: 'Qdrant', value: null, unit: 'ms', notes: 'not run: QDRANT_URL is not set' });
  }
  return { rows, log };
}
