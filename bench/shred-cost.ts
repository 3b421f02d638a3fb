/**
 * `node --import tsx bench/shred-cost.ts [--events N] [--users N]`: the cost of ERASURE_MODE=shred
 * (docs/privacy-shred.md) on the running stack. For plain and shred mode in turn, over the same
 * generated events: publish rate (one publisher, 1,000 events a request) for the users' first
 * events (in shred mode their keys are created) and again for the same users (keys known), and the
 * ingest rate over both (one ingest child, from group join to drained). Not part of `npm run bench`;
 * numbers go to stdout.
 */
import { parseArgs } from 'node:util';
import { InteractionPublisher, type InteractionInput } from '../services/adapters/kafka/interaction-publisher.js';
import { createRedisClient } from '../services/adapters/redis/redis-client.js';
import { silentLogger } from '../services/core/logger.js';
import { sealerFor, userKeyStore } from '../services/adapters/shredding.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue } from '../services/workload/catalogue.js';
import { BenchEnv, stackFromEnv } from './env.js';
import { round } from './report.js';

const SECRET = 'bench-shred-secret-0123456789abcdef';

interface Rates {
  readonly firstPublish: number;
  readonly againPublish: number;
  readonly ingest: number;
}

async function publishRate(publisher: InteractionPublisher, events: readonly InteractionInput[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += 1000) await publisher.publish(events.slice(i, i + 1000));
  return events.length / ((performance.now() - t0) / 1000);
}

async function measure(mode: 'plain' | 'shred', events: number, users: number): Promise<Rates> {
  const env = new BenchEnv(stackFromEnv(), `shred-${mode}`, { ERASURE_MODE: mode, SHRED_SECRET: SECRET, TOPIC_PARTITIONS: '3' });
  const redis = createRedisClient({ url: env.config.redisUrl, cluster: false, logger: silentLogger() });
  try {
    await env.start();
    const catalogue = createCatalogue({ items: 2_000, dimension: 64, clusters: 20, seed: 11 });
    await env.importCatalogue(catalogue);
    const publisher = new InteractionPublisher({ kafka: env.kafka, topic: env.config.interactionsTopic, sealer: sealerFor(env.config, userKeyStore(env.config, redis, env.store)) });
    await publisher.start();
    const activity = (seed: number) => [...createActivity(catalogue, { users, events, seed, eventsPerSecond: 1000 }).events()];
    const firstPublish = await publishRate(publisher, activity(12));
    const againPublish = await publishRate(publisher, activity(13));
    await publisher.close();
    const child = env.spawnCli('ingest');
    const joined = await env.groupStable();
    const drained = await env.drained();
    await env.stop(child);
    return { firstPublish, againPublish, ingest: (2 * events) / ((drained - joined) / 1000) };
  } finally {
    await redis.quit();
    await env.close();
  }
}

const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' }, users: { type: 'string', default: '2000' } } });
const events = Number(values.events);
const users = Number(values.users);
const plain = await measure('plain', events, users);
const shred = await measure('shred', events, users);
const cell = (n: number): string => String(round(n, 0)).padStart(14);
console.log(`2 x ${events} events, ${users} users, dimension 64, 3 partitions`);
console.log(`mode   publish (new users) publish (known)  ingest ev/s`);
for (const [name, r] of [['plain', plain], ['shred', shred]] as const) console.log(`${name.padEnd(6)} ${cell(r.firstPublish)}    ${cell(r.againPublish)} ${cell(r.ingest)}`);
const ratio = (f: (r: Rates) => number): number => round(f(shred) / f(plain));
console.log(`shred / plain: publish ${ratio((r) => r.firstPublish)} (new users), ${ratio((r) => r.againPublish)} (known); ingest ${ratio((r) => r.ingest)}`);
process.exit(0);
