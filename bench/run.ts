/**
 * `npm run bench [-- --quick] [-- --profile] [-- --only ingest,freshness,query,erasure]`: every benchmark of
 * issue 6 on the running stack, printed as one table and written to bench/results/ as JSON.
 * Benchmarks are not tests: nothing here runs under `npm test`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, stackFromEnv, type Stack } from './env.js';
import { isInterestStreamError } from '../services/core/errors.js';
import { assertStackReachable } from '../services/cli/stack-check.js';
import { erasureCompletion } from './erasure.js';
import { freshness } from './freshness.js';
import { ingestThroughput } from './ingest-throughput.js';
import { queryLatency } from './query-latency.js';
import { machine, table, type Row } from './report.js';

interface Plan {
  readonly ingest: Array<{ dimension: number; events: number; users: number; items: number }>;
  readonly baselineMs: number;
  readonly freshness: { rate: number; seconds: number };
  readonly query: { items: number[]; latencySeconds: number; closedLoopSeconds: number };
  readonly erasure: { rate: number; seconds: number };
}

const FULL: Plan = {
  ingest: [
    // 300,000 events for 20,000 users crashed the ingest child once (ioredis auto-pipelining,
    // "results[i] is not iterable"; see docs/benchmarks.md), so the full run stays below that.
    { dimension: 256, events: 120_000, users: 8_000, items: 10_000 },
    { dimension: 1536, events: 60_000, users: 4_000, items: 10_000 },
  ],
  baselineMs: 10_000,
  freshness: { rate: 1000, seconds: 10 },
  query: { items: [10_000, 100_000], latencySeconds: 20, closedLoopSeconds: 10 },
  erasure: { rate: 1000, seconds: 20 },
};

const QUICK: Plan = {
  ingest: [
    { dimension: 256, events: 60_000, users: 5_000, items: 5_000 },
    { dimension: 1536, events: 30_000, users: 3_000, items: 5_000 },
  ],
  baselineMs: 3_000,
  freshness: { rate: 1000, seconds: 4 },
  query: { items: [10_000, 50_000], latencySeconds: 5, closedLoopSeconds: 3 },
  erasure: { rate: 1000, seconds: 6 },
};

type Section = (stack: Stack, plan: Plan, profile: boolean) => Promise<{ rows: Row[]; log: string[] }>;

const SECTIONS: Record<string, Section> = {
  ingest: async (stack, plan, profile) => {
    const rows: Row[] = [];
    const log: string[] = [];
    for (const o of plan.ingest) {
      const r = await ingestThroughput(stack, { ...o, baselineMs: plan.baselineMs, profile });
      rows.push(...r.rows);
      log.push(...r.log);
    }
    return { rows, log };
  },
  freshness: (stack, plan, profile) => freshness(stack, { ...plan.freshness, profile }),
  query: (stack, plan, profile) => queryLatency(stack, { ...plan.query, profile }),
  erasure: (stack, plan) => erasureCompletion(stack, plan.erasure),
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
  for (const name of names) {
    const section = SECTIONS[name];
    if (!section) throw new Error(`unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);
    const t = performance.now();
    const r = await section(stack, plan, values.profile === true);
    rows.push(...r.rows);
    logs.push(...r.log);
    console.log(`\n${name}: done in ${Math.round((performance.now() - t) / 1000)} s\n${table(r.rows)}`);
    for (const l of r.log) console.log(l);
  }
  console.log(`\nAll results\n${table(rows)}`);
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${values.quick ? 'quick' : 'full'}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  const result = { startedAt: started.toISOString(), mode: values.quick ? 'quick' : 'full', profile: values.profile === true, machine: host, stack, plan, rows, profiles: logs };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten ${path.relative(ROOT, file)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(isInterestStreamError(e) ? `error ${e.code}: ${e.message}` : e);
    process.exit(1);
  },
);
