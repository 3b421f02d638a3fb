/**
 * Measurements 1, 2 and 5 at one dimension, over the same generated events: ingest (one consumer
 * process) against the naive per-event baseline and the article's per-event SQL on PGlite, then
 * Redis memory of the users ingest wrote.
 */
import { RedisKeys } from '../services/core/names.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue } from '../services/workload/catalogue.js';
import { BenchEnv, productFoldParams, type Stack } from './env.js';
import { describeStages, ingestStages } from './ingest-stages.js';
import { runNaiveIngest } from './naive-ingest.js';
import { runPgliteBaseline } from './pglite-baseline.js';
import { describeProfile, monotonicUs, summariseProfiles } from './profile.js';
import { memoryAfterIngest, memoryAtCaps } from './redis-memory.js';
import { round, type Row } from './report.js';

export interface IngestBenchOptions {
  readonly dimension: number;
  readonly events: number;
  readonly users: number;
  readonly items: number;
  /** Time budget of each per-event baseline (they are far slower than ingest). */
  readonly baselineMs: number;
  readonly profile: boolean;
}

/** Records per BatchProcessor call in the stage breakdown: about what one fetch of a partition brings while catching up. */
const STAGE_BATCH = 5_000;

/** Issue 15's targets: 60,000 events/s at d=256 (stretch 100,000), 20,000 at d=1536. */
const TARGETS: Record<number, number> = { 256: 60_000, 1536: 20_000 };

/**
 * Runs ingest as a child process over pre-published events; rate counted from group join to drained.
 * With `profileDir`, the child runs under --cpu-prof and the `top` heaviest frames are summarised.
 */
export async function measureIngest(env: BenchEnv, total: number, profileDir: string | undefined, top?: number) {
  const t = performance.now();
  const child = env.spawnCli('ingest', { profileDir });
  const joined = await env.groupStable();
  const fromUs = monotonicUs();
  const drained = await env.drained();
  const window = { fromUs, toUs: monotonicUs() };
  await env.stop(child);
  const seconds = (drained - joined) / 1000;
  const profile = profileDir ? summariseProfiles(profileDir, window, top) : undefined;
  return { eventsPerSecond: total / seconds, seconds, startupSeconds: (joined - t) / 1000, profile };
}

export async function ingestThroughput(stack: Stack, o: IngestBenchOptions): Promise<{ rows: Row[]; log: string[] }> {
  const d = o.dimension;
  const env = new BenchEnv(stack, `ingest-d${d}`);
  const log: string[] = [];
  try {
    await env.start();
    const catalogue = createCatalogue({ items: o.items, dimension: d, clusters: 20, seed: 11 });
    await env.importCatalogue(catalogue);
    const activity = createActivity(catalogue, { users: o.users, events: o.events, seed: 12, eventsPerSecond: 1000 });
    const published = await env.publishAll(activity.events());

    const profileDir = o.profile ? env.newProfileDir() : undefined;
    const ingest = await measureIngest(env, published, profileDir);
    if (ingest.profile) log.push(describeProfile(`ingest d=${d}, from group join to drained`, ingest.profile));

    const userIds = activity.users.map((u) => u.userId);
    const memory = [...(await memoryAfterIngest(env.redis, env.keys, userIds, d, env.config.popularShards)), await memoryAtCaps(env.redis, env.keys, catalogue)];

    const stages = await ingestStages({
      redis: env.redis,
      root: `${env.id}:stages`,
      store: env.store,
      events: activity.events(),
      params: productFoldParams(d),
      maxBatch: STAGE_BATCH,
    });
    log.push(describeStages(`ingest d=${d}, batches of up to ${STAGE_BATCH}`, stages));

    const items = new Map([...catalogue.items()].map((i) => [i.id, i.vector]));
    const naive = await runNaiveIngest({
      kafka: env.kafka,
      topic: env.config.interactionsTopic,
      groupId: `${env.id}-naive`,
      redis: env.redis,
      keys: new RedisKeys(`${env.id}:naive`, 'g1'),
      store: env.store,
      usersCollection: 'users_naive',
      items,
      params: productFoldParams(d),
      budgetMs: o.baselineMs,
      total: published,
    });
    const naiveRate = naive.events / naive.seconds;
    const pg = await runPgliteBaseline({ catalogue, events: activity.events(), userIds, budgetMs: o.baselineMs });
    const pgRate = pg.events / pg.seconds;

    const target = TARGETS[d];
    const variant = `d=${d}`;
    const rows: Row[] = [
      {
        measurement: 'ingest throughput',
        variant: `${variant}, ingest (1 process)`,
        value: Math.round(ingest.eventsPerSecond),
        unit: 'events/s',
        target: target ? `>= ${target.toLocaleString('en-US')}` : undefined,
        met: target ? ingest.eventsPerSecond >= target : null,
        notes: `${published.toLocaleString('en-US')} events, ${o.users.toLocaleString('en-US')} users in ${round(ingest.seconds)} s (start-up ${round(ingest.startupSeconds, 1)} s excluded)`,
        details: { ...ingest, events: published, users: o.users, items: o.items, stages },
      },
      {
        measurement: 'ingest throughput',
        variant: `${variant}, naive per-event baseline`,
        value: Math.round(naiveRate),
        unit: 'events/s',
        notes: `${naive.events.toLocaleString('en-US')} events in ${round(naive.seconds)} s`,
        details: naive,
      },
      {
        measurement: 'ingest throughput',
        variant: `${variant}, ingest / naive`,
        value: round(ingest.eventsPerSecond / naiveRate, 1),
        unit: 'x',
        target: '>= 5',
        met: ingest.eventsPerSecond / naiveRate >= 5,
      },
      {
        measurement: 'article baseline (PGlite)',
        variant: `${variant}, per-event UPDATE`,
        value: Math.round(pgRate),
        unit: 'events/s',
        notes: `pgvector ${pg.pgvector}; ${pg.events.toLocaleString('en-US')} events in ${round(pg.seconds)} s; ingest is ${round(ingest.eventsPerSecond / pgRate, 1)}x`,
        details: pg,
      },
      ...memory,
    ];
    return { rows, log };
  } finally {
    await env.close();
  }
}
