import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { loadConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { Closers } from '../core/lifecycle.js';
import { consumerGroupId, dlqTopic, historyFoldGroupId } from '../core/names.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { waitForCatchUp } from '../adapters/kafka/consumer-lag.js';
import { connectRedis, redisForConfig } from '../adapters/redis/redis-client.js';
import { deleteByPrefix } from '../adapters/redis/redis-keyspace.js';
import { startIngest } from '../ingest/ingest-service.js';
import { startQueryService } from '../query/main.js';
import { startSnapshotterProcess } from '../snapshotter/main.js';
import { createActivity, type Activity, type GeneratedEvent } from '../workload/activity.js';
import { createCatalogue, itemJson, type Catalogue } from '../workload/catalogue.js';
import { importCatalogueFile, openInteractionPublisher, type CatalogueSettings } from './connections.js';
import { formatPhase, type UserView } from './demo-report.js';

/** The demo's own namespace (topics, consumer groups, Redis prefix, store directory): reruns start clean without touching anything else. */
const DEFAULT_NAMESPACE = 'demo';
const EVENTS_PER_SECOND = 10;

export interface DemoOptions {
  readonly quick: boolean;
  /** Leave the query service running until Ctrl-C (the README demo), or stop after the report (tests). */
  readonly serve: boolean;
  readonly out: (line: string) => void;
  /** Defaults to `demo`; tests use their own. */
  readonly namespace?: string;
  /** Called with what was printed for each phase (tests check it). */
  readonly onPhase?: (phase: number, users: readonly UserView[]) => void;
}

type Stop = () => Promise<void>;

/**
 * `npm run demo`: imports a synthetic catalogue, runs ingest and the query service, streams
 * simulated activity in phases and prints, for a few users, how their recommendations follow their
 * drifting interests per strategy; then leaves the query service up with example calls.
 */
export async function runDemo(base: Config, logger: Logger, opts: DemoOptions): Promise<Stop> {
  const sizes = opts.quick ? { items: 600, users: 30, events: 3_000, phases: 4 } : { items: 2_000, users: 60, events: 12_000, phases: 5 };
  // Two event-time snapshot windows per phase (the activity runs at 10 events/s of event time),
  // so `trend` has history to follow from the second phase on.
  const windowMs = Math.round((sizes.events / EVENTS_PER_SECOND) * 1000 / (2 * sizes.phases));
  const config = demoConfig(base, opts.namespace ?? DEFAULT_NAMESPACE, windowMs);
  const say = opts.out;
  await resetDemoState(config, logger);
  const catalogue = createCatalogue({ items: sizes.items, dimension: 64, clusters: 8, seed: 7 });
  const activity = createActivity(catalogue, { users: sizes.users, events: sizes.events, seed: 7, eventsPerSecond: EVENTS_PER_SECOND });
  say(`interest-stream demo — ${catalogue.size} items in ${catalogue.clusterCount} categories (d=${catalogue.dimension}), ${sizes.users} users whose interests drift`);
  await importCatalogue(catalogue, config, logger);
  say(`  catalogue imported into the ${config.vectorStore} vector store`);

  const closers = new Closers(logger);
  const stopAll: Stop = () => closers.close();
  await closers.starting(async () => {
    const ingest = await startIngest(config, logger);
    closers.add(() => ingest.close());
    const snapshotter = await startSnapshotterProcess(config, logger);
    closers.add(() => snapshotter.close());
    const query = await startQueryService(config, logger);
    closers.add(() => query.close());
    const publisher = await openInteractionPublisher(config, logger);
    closers.add(() => publisher.close());
    const kafka = kafkaForConfig(config, logger, 'demo');
    const admin = kafka.admin();
    await admin.connect();
    closers.add(() => admin.disconnect());

    const watched = pickUsers(activity);
    const api = `http://127.0.0.1:${query.httpPort}`;
    const events = activity.events();
    const perPhase = Math.ceil(activity.eventCount / sizes.phases);
    for (let phase = 1; phase <= sizes.phases; phase++) {
      const batch = take(events, perPhase);
      const started = Date.now();
      for (let i = 0; i < batch.length; i += 1000) await publisher.publish(batch.slice(i, i + 1000));
      await waitForCatchUp(admin, consumerGroupId(config.consumerGroup, config.generation), config.interactionsTopic);
      await waitForCatchUp(admin, historyFoldGroupId(config.consumerGroup, config.generation), config.historyTopic);
      const auth: Record<string, string> = config.apiKeys.length > 0 ? { authorization: `Bearer ${DEMO_KEY}` } : {};
      const views = await Promise.all(watched.map((u) => viewOf(api, auth, u, catalogue)));
      say(formatPhase({ phase, phases: sizes.phases, events: batch.length, ms: Date.now() - started, users: views }));
      opts.onPhase?.(phase, views);
    }
    say(examples(api, query.grpcPort, watched[0]!.userId, config.apiKeys.length > 0));
  });
  if (!opts.serve) await stopAll();
  return stopAll;
}

/** The demo's own read key (random per process), for the recommendations it prints. */
const DEMO_KEY_ID = 'interest-stream-demo';
const DEMO_KEY = randomBytes(24).toString('hex');

/**
 * The demo namespace on top of the user's settings: every connection setting stays theirs (brokers
 * with their TLS and SASL, Redis, the vector store with its Qdrant production settings); everything
 * else is the demo's own, so a rerun never touches the user's topics, keys or groups.
 */
export function demoConfig(base: Config, ns: string, windowMs: number): Config {
  const demo = loadConfig({
    REDIS_PREFIX: ns,
    INTERACTIONS_TOPIC: `${ns}.interactions`,
    ITEMS_TOPIC: `${ns}.items`,
    HISTORY_TOPIC: `${ns}.interest-history`,
    CONSUMER_GROUP: `${ns}-ingest`,
    SNAPSHOT_INTERVAL_MS: String(windowMs),
    SNAPSHOT_LATENESS_MS: '0',
    DIRTY_SHARDS: '4',
    TOPIC_PARTITIONS: '3',
    EMBEDDED_STORE_DIR: path.join(base.embeddedStoreDir, '..', ns),
    QUERY_HTTP_PORT: String(base.queryHttpPort),
    QUERY_GRPC_PORT: String(base.queryGrpcPort),
    // The user's API keys protect the demo's query service (and its /ui page's data) too; the demo
    // holds only their digests, so it reads its own answers with a read key of its own.
    ...(base.apiKeys.length > 0 ? { API_KEYS: `${DEMO_KEY_ID}:read:${DEMO_KEY}` } : {}),
    METRICS_PORT: '0',
    SNAPSHOTTER_METRICS_PORT: '0',
    LOG_LEVEL: base.logLevel,
  });
  const apiKeys = base.apiKeys.length > 0 ? [...base.apiKeys, ...demo.apiKeys] : [];
  return Object.freeze({ ...demo, ...connectionSettings(base), apiKeys });
}

/** The settings that say how to reach Kafka, Redis and the vector store, taken whole so none added later is forgotten. */
function connectionSettings(base: Config): Partial<Config> {
  const { redisUrl, redisCluster, vectorStore, embeddedStoreDir: _own, ...rest } = base;
  const reach = Object.entries(rest).filter(([key]) => key.startsWith('kafka') || key.startsWith('qdrant'));
  return { ...Object.fromEntries(reach), redisUrl, redisCluster, vectorStore };
}

async function resetDemoState(config: Config, logger: Logger): Promise<void> {
  const admin = kafkaForConfig(config, logger, 'demo').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [config.interactionsTopic, dlqTopic(config.interactionsTopic), config.itemsTopic, dlqTopic(config.itemsTopic), config.historyTopic].filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = [
      consumerGroupId(config.consumerGroup, config.generation),
      consumerGroupId(`${config.consumerGroup}-items`, config.generation),
      historyFoldGroupId(config.consumerGroup, config.generation),
    ];
    await admin.deleteGroups(groups).catch(() => {});
  } finally {
    await admin.disconnect();
  }
  const redis = redisForConfig(config, logger);
  await connectRedis(redis, config.redisUrl);
  await deleteByPrefix(redis, `${config.redisPrefix}:`);
  await redis.quit();
  if (config.vectorStore === 'embedded') await rm(config.embeddedStoreDir, { recursive: true, force: true });
}

async function importCatalogue(catalogue: Catalogue, config: CatalogueSettings, logger: Logger): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'interest-stream-demo-'));
  try {
    const file = path.join(dir, 'items.jsonl');
    await writeFile(file, [...catalogue.items()].map(itemJson).join('\n'));
    await importCatalogueFile(file, config, logger);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Three typical users who really change category: activity near the median. The busiest users
 * have seen most of their category, and recommendations rightly exclude what was seen.
 */
function pickUsers(activity: Activity) {
  const movers = activity.users.filter((u) => u.startCluster !== u.endCluster);
  const median = [...movers].sort((a, b) => a.events - b.events)[Math.floor(movers.length / 2)]?.events ?? 0;
  return movers.sort((a, b) => Math.abs(a.events - median) - Math.abs(b.events - median) || a.userId.localeCompare(b.userId)).slice(0, 3);
}

function take(it: Iterator<GeneratedEvent>, n: number): GeneratedEvent[] {
  const out: GeneratedEvent[] = [];
  while (out.length < n) {
    const r = it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

async function viewOf(api: string, headers: Record<string, string>, user: Activity['users'][number], catalogue: Catalogue): Promise<UserView> {
  const strategies = ['ema', 'average', 'trend'] as const;
  const results = await Promise.all(
    strategies.map(async (strategy) => {
      const res = await fetch(`${api}/v1/users/${user.userId}/recommendations?limit=10&strategy=${strategy}`, { headers });
      const body = (await res.json()) as { fallback: string | null; items: Array<{ id: string; payload: { title?: string; category?: string } }> };
      return { strategy, fallback: body.fallback, items: body.items.map((i) => ({ id: i.id, title: i.payload.title ?? i.id, category: i.payload.category ?? '?' })) };
    }),
  );
  return { userId: user.userId, from: user.startCategory, to: user.endCategory, categories: catalogue.categories, results };
}

/**
 * The commands the demo prints to try the running service. With API keys on (`API_KEYS`), every
 * protected call carries the key: the demo knows only the keys' digests, so it names a variable the
 * user sets to one of their read keys. `/openapi.json` and `/ui/` are public.
 */
export function examples(api: string, grpcPort: number, userId: string, keysRequired: boolean): string {
  const auth = keysRequired ? ` -H "Authorization: Bearer $API_KEY"` : '';
  const grpcAuth = keysRequired ? ` -H "authorization: Bearer $API_KEY"` : '';
  return [
    '',
    `Watch the users move: open ${api}/ui/ and enter ${userId} (an operator panel is on the same page).`,
    '',
    `The query service is running (HTTP ${api}, gRPC 127.0.0.1:${grpcPort}). Try:`,
    ...(keysRequired ? ['  export API_KEY=...   # API keys are on: one of your read keys'] : []),
    `  curl${auth} '${api}/v1/users/${userId}/recommendations?limit=5&strategy=ema'`,
    `  curl${auth} '${api}/v1/users/${userId}/recommendations?limit=5&filter=year>=2000'`,
    `  curl${auth} '${api}/v1/users/${userId}/interest'`,
    `  curl${auth} '${api}/v1/items/item-000001/similar?limit=5'`,
    `  curl '${api}/openapi.json'`,
    `  grpcurl -plaintext${grpcAuth} -import-path schemas/proto -proto recommendations.proto \\`,
    `    -d '{"user_id":"${userId}","limit":5}' 127.0.0.1:${grpcPort} interest_stream.v1.Recommendations/Recommend`,
  ].join('\n');
}

/** Where the demo's services log (next to the embedded store's directory, under .data/ by default). */
export function demoLogFile(config: Pick<Config, 'embeddedStoreDir'>): string {
  return path.resolve(config.embeddedStoreDir, '..', 'demo.log');
}

/** What Ctrl-C stops, what it leaves running and how to stop that too. */
export function afterCtrlC(config: Pick<Config, 'kafkaBrokers' | 'redisUrl'>): string {
  return [
    'Ctrl-C stops what the demo started in this process: ingest, the snapshotter and the query service.',
    `Kafka (${config.kafkaBrokers.join(',')}) and Redis (${config.redisUrl}) keep running for the next run; \`npm run stack:down\` stops them.`,
  ].join('\n');
}
