/**
 * `node --import tsx bench/ingest-profile.ts [--dimension 256] [--events 60000] [--users 4000] [--no-profile] [KEY=VALUE ...]`:
 * ingest alone as a child process over pre-published events, with a CPU profile summary of the
 * ingest process from group join to drained; KEY=VALUE pairs are passed to ingest's environment
 * (to compare settings: MULTI_INTERESTS=0, INGEST_FETCH_WAIT_MS=5, …). Not part of `npm run bench`.
 */
import { parseArgs } from 'node:util';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue } from '../services/workload/catalogue.js';
import { BenchEnv, stackFromEnv } from './env.js';
import { measureIngest } from './ingest-throughput.js';
import { describeProfile } from './profile.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { dimension: { type: 'string', default: '256' }, events: { type: 'string', default: '60000' }, users: { type: 'string', default: '4000' }, 'no-profile': { type: 'boolean' } },
  });
  const extra = Object.fromEntries(positionals.map((p) => p.split('=', 2) as [string, string]));
  const d = Number(values.dimension);
  const env = new BenchEnv(stackFromEnv(), `ingest-profile-d${d}`, extra);
  try {
    await env.start();
    const catalogue = createCatalogue({ items: 10_000, dimension: d, clusters: 20, seed: 11 });
    await env.importCatalogue(catalogue);
    const activity = createActivity(catalogue, { users: Number(values.users), events: Number(values.events), seed: 12, eventsPerSecond: 1000 });
    const published = await env.publishAll(activity.events());
    const profileDir = values['no-profile'] ? undefined : env.newProfileDir();
    const r = await measureIngest(env, published, profileDir, 25);
    console.log(`d=${d} ${JSON.stringify(extra)}: ${published} events in ${r.seconds.toFixed(2)} s = ${Math.round(r.eventsPerSecond)} events/s`);
    if (r.profile) console.log(describeProfile(`ingest d=${d}`, r.profile));
  } finally {
    await env.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
