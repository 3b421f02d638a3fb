/**
 * Ingest scaling: the same events on a 6-partition topic folded by one ingest process, then by two
 * (one consumer group of two members, three partitions each), each run with its own topic, group
 * and empty state. The children start first and the events are published once the group holds all
 * its members — otherwise the first member folds most of a pre-published topic before the second
 * has even started — so the publisher shares the machine during both runs alike. The rate is the
 * events over the time from the group holding its members to drained; the ratio 2 / 1 is the row
 * that matters. On this 2-core machine the processes share the cores with Kafka, Redis, the
 * publisher and each other.
 */
import { createActivity, type Activity } from '../services/workload/activity.js';
import { createCatalogue, type Catalogue } from '../services/workload/catalogue.js';
import { BenchEnv, sleep, type Stack } from './env.js';
import { round, type Row } from './report.js';

export interface IngestScalingOptions {
  readonly dimension: number;
  readonly events: number;
  readonly users: number;
  readonly items: number;
}

const PARTITIONS = 6;

/** Resolves (with performance.now()) once the group is Stable with `members` members. */
async function groupHolds(env: BenchEnv, members: number, timeoutMs = 90_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { groups } = await env.admin.describeGroups([env.groupId]);
    if (groups[0]?.state === 'Stable' && groups[0].members.length === members) return performance.now();
    await sleep(10);
  }
  throw new Error(`consumer group ${env.groupId} did not hold ${members} stable members within ${timeoutMs} ms`);
}

/** `processes` ingest children in a fresh environment; events/s from the group holding them all to drained. */
async function run(stack: Stack, processes: number, catalogue: Catalogue, activity: Activity): Promise<{ eventsPerSecond: number; seconds: number; events: number; publishSeconds: number }> {
  const env = new BenchEnv(stack, `scale-${processes}`, { TOPIC_PARTITIONS: String(PARTITIONS) });
  try {
    await env.start();
    await env.importCatalogue(catalogue);
    const children = Array.from({ length: processes }, () => env.spawnCli('ingest'));
    const joined = await groupHolds(env, processes);
    const events = await env.publishAll(activity.events());
    const published = performance.now();
    const drained = await env.drained();
    await Promise.all(children.map((c) => env.stop(c)));
    const seconds = (drained - joined) / 1000;
    return { eventsPerSecond: events / seconds, seconds, events, publishSeconds: (published - joined) / 1000 };
  } finally {
    await env.close();
  }
}

export async function ingestScaling(stack: Stack, o: IngestScalingOptions): Promise<{ rows: Row[]; log: string[] }> {
  const catalogue = createCatalogue({ items: o.items, dimension: o.dimension, clusters: 20, seed: 41 });
  const activity = createActivity(catalogue, { users: o.users, events: o.events, seed: 42, eventsPerSecond: 1000 });
  const one = await run(stack, 1, catalogue, activity);
  const two = await run(stack, 2, catalogue, activity);
  const measurement = `ingest scaling, ${PARTITIONS} partitions`;
  const variant = `d=${o.dimension}`;
  // When publishing takes nearly the whole time, the publisher, not ingest, set the rate.
  const notes = (r: { seconds: number; events: number; publishSeconds: number }) =>
    `${r.events.toLocaleString('en-US')} events, ${o.users.toLocaleString('en-US')} users in ${round(r.seconds)} s (of which publishing ${round(r.publishSeconds)} s)`;
  return {
    rows: [
      { measurement, variant: `${variant}, 1 process`, value: Math.round(one.eventsPerSecond), unit: 'events/s', notes: notes(one), details: one },
      { measurement, variant: `${variant}, 2 processes`, value: Math.round(two.eventsPerSecond), unit: 'events/s', notes: notes(two), details: two },
      { measurement, variant: `${variant}, 2 processes / 1`, value: round(two.eventsPerSecond / one.eventsPerSecond, 2), unit: 'x', notes: 'one 2-core machine shared with Kafka, Redis and the publisher' },
    ],
    log: [],
  };
}
