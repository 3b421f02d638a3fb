/**
 * `npm run bench [-- --quick] [-- --profile] [-- --only ingest,freshness,query,large,ryw,scaling,erasure,start]`:
 * every benchmark on the running stack, printed as one table and written to bench/results/ as JSON
 * (rewritten after each section, so a run stopped part-way keeps what it measured).
 * Benchmarks are not tests: nothing here runs under `npm test`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, stackFromEnv, type Stack } from './env.js';
import { isInterestStreamError } from '../services/domain/errors.js';
import { assertStackReachable } from '../services/cli/stack-check.js';
import { erasureCompletion } from './erasure.js';
import { freshness } from './freshness.js';
import { ingestThroughput } from './ingest-throughput.js';
import { ingestScaling } from './ingest-scaling.js';
import { readYourWrites } from './read-your-writes.js';
import { queryLatency } from './query-latency.js';
import { indexStart } from './index-start.js';
import { machine, table, type Row } from './report.js';

interface Plan {
  readonly ingest: Array<{ dimension: number; events: number; users: number; items: number }>;
  readonly baselineMs: number;
  readonly freshness: Array<{ rate: number; seconds: number; warmupSeconds?: number; fetchWaitMs?: number }>;
  readonly query: { items: number[]; latencySeconds: number; closedLoopSeconds: number };
  /** Catalogues large enough that the in-process index is skipped and recall comes from the service (1M). */
  readonly large: number[];
  /** Publish-then-query rounds with the token (and as many polling ones). */
  readonly readYourWrites: { rounds: number };
  /** Ingest with 1 and 2 processes on 6 partitions. */
  readonly scaling: { dimension: number; events: number; users: number; items: number };
  readonly erasure: { rate: number; seconds: number };
  /** The embedded store's index at start: full build vs the saved index loaded (and patched). */
  readonly start: { items: number; dimension: number };
}

const FULL: Plan = {
  ingest: [
    // 300,000 events for 20,000 users crashed the ingest child once (ioredis auto-pipelining,
    // "results[i] is not iterable"; see docs/benchmarks.md), so the full run stays below that.
    { dimension: 256, events: 120_000, users: 8_000, items: 10_000 },
    { dimension: 1536, events: 60_000, users: 4_000, items: 10_000 },
  ],
  baselineMs: 10_000,
  // 10,000 events/s only in the full run: it adds a minute to the quick one. The 5 ms fetch wait
  // was tried against the default 500 ms and not adopted (docs/benchmarks.md); the full run keeps
  // measuring both, so a quiet machine can settle it.
  // The target is the steady state (after a warm-up at the same rate); the first row keeps the
  // cold start on record, where every batch still looks its users and items up in the durable store.
  freshness: [
    { rate: 1000, seconds: 10 },
    { rate: 1000, seconds: 10, warmupSeconds: 10 },
    { rate: 1000, seconds: 10, warmupSeconds: 10, fetchWaitMs: 5 },
    { rate: 10_000, seconds: 10, warmupSeconds: 5 },
  ],
  query: { items: [10_000, 100_000], latencySeconds: 20, closedLoopSeconds: 10 },
  large: [1_000_000],
  readYourWrites: { rounds: 300 },
  scaling: { dimension: 256, events: 120_000, users: 8_000, items: 10_000 },
  erasure: { rate: 1000, seconds: 20 },
  start: { items: 100_000, dimension: 256 },
};

const QUICK: Plan = {
  ingest: [
    { dimension: 256, events: 60_000, users: 5_000, items: 5_000 },
    { dimension: 1536, events: 30_000, users: 3_000, items: 5_000 },
  ],
  baselineMs: 3_000,
  freshness: [{ rate: 1000, seconds: 4, warmupSeconds: 4 }],
  query: { items: [10_000, 50_000], latencySeconds: 5, closedLoopSeconds: 3 },
  // 1M items take ~20 minutes to import and index: full run only.
  large: [],
  // Kept small: the quick run must stay under 5 minutes with every row.
  readYourWrites: { rounds: 60 },
  scaling: { dimension: 256, events: 20_000, users: 2_000, items: 2_000 },
  erasure: { rate: 1000, seconds: 6 },
  // A 20k build takes ~4 s here; 100k (~30 s) would not fit the quick run's 5 minutes.
  start: { items: 20_000, dimension: 256 },
};

type Section = (stack: Stack, plan: Plan, profile: boolean) => Promise<{ rows: Row[]; log: string[] }>;

/** Runs one measurement per variant, one after the other, and joins their rows and logs. */
async function inTurn<T>(variants: readonly T[], measure: (o: T) => Promise<{ rows: Row[]; log: string[] }>): Promise<{ rows: Row[]; log: string[] }> {
  const rows: Row[] = [];
  const log: string[] = [];
  for (const o of variants) {
    const r = await measure(o);
    rows.push(...r.rows);
    log.push(...r.log);
  }
  return { rows, log };
}

const SECTIONS: Record<string, Section> = {
  ingest: (stack, plan, profile) => inTurn(plan.ingest, (o) => ingestThroughput(stack, { ...o, baselineMs: plan.baselineMs, profile })),
  freshness: (stack, plan, profile) => inTurn(plan.freshness, (o) => freshness(stack, { ...o, profile })),
  query: (stack, plan, profile) => queryLatency(stack, { ...plan.query, profile }),
  large: (stack, plan, profile) => queryLatency(stack, { ...plan.query, items: plan.large, profile, qdrant: false }),
  ryw: (stack, plan) => readYourWrites(stack, plan.readYourWrites),
  scaling: (stack, plan) => ingestScaling(stack, plan.scaling),
  erasure: (stack, plan) => erasureCompletion(stack, plan.erasure),
  start: (_stack, plan) => indexStart(plan.start),
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, profile: { type: 'boolean' }, only: { type: 'string' } } });
  const plan = values.quick ? QUICK : FULL;
  const names = values.only ? values.only.split(',') : Object.keys(SECTIONS);
  const stack = stackFromEnv();
  await assertStackReachable(['kafka', 'redis'], { kafkaBrokers: stack.kafkaBrokers.split(','), redisUrl: stack.redisUrl });
  const started = new Date();
  const host = machine();
  console.log(`interest-stream benchmarks (${values.quick ? 'quick' : 'full'}) on ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}`);
  const rows: Row[] = [];
  const logs: string[] = [];
  const seconds: Record<string, number> = {};
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${values.quick ? 'quick' : 'full'}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  const write = (complete: boolean): void => {
    const totalSeconds = Math.round((Date.now() - started.getTime()) / 1000);
    const result = { startedAt: started.toISOString(), mode: values.quick ? 'quick' : 'full', profile: values.profile === true, complete, totalSeconds, sectionSeconds: seconds, machine: host, stack, plan, rows, profiles: logs };
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  };
  for (const name of names) {
    const section = SECTIONS[name];
    if (!section) throw new Error(`unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);
    const t = performance.now();
    const r = await section(stack, plan, values.profile === true);
    rows.push(...r.rows);
    logs.push(...r.log);
    seconds[name] = Math.round((performance.now() - t) / 1000);
    console.log(`\n${name}: done in ${seconds[name]} s\n${table(r.rows)}`);
    for (const l of r.log) console.log(l);
    write(false);
  }
  write(true);
  console.log(`\nAll results (${Math.round((Date.now() - started.getTime()) / 1000)} s)\n${table(rows)}`);
  console.log(`\nwritten ${path.relative(ROOT, file)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(isInterestStreamError(e) ? `error ${e.code}: ${e.message}` : e);
    process.exit(1);
  },
);
