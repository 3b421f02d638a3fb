import { spawn, type ChildProcess } from 'node:child_process';
import { killAndWait } from './processes.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, inject, onTestFinished } from 'vitest';
import { startIngest, type IngestHandle } from '../../services/ingest/ingest-service.js';
import { loadConfig, type Config } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys, consumerGroupId, usersCollection } from '../../services/core/names.js';
import { fromUserPoint } from '../../services/core/user-record.js';
import type { UserState } from '../../services/domain/types.js';
import { waitForCatchUp } from '../../services/adapters/kafka/consumer-lag.js';
import { InteractionPublisher, ensureTopic } from '../../services/adapters/kafka/interaction-publisher.js';
import { createRedisClient, type RedisClient } from '../../services/adapters/redis/redis-client.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { createVectorStore } from '../../services/adapters/vector-store/create-vector-store.js';
import type { AliasingVectorStore } from '../../services/domain/ports/index.js';
import { normalize } from '../../services/domain/vector.js';
import { eventually } from './eventually.js';
import { OwnRedis } from './own-redis.js';
import { unique } from './names.js';
import { vectorStoreEnv } from './vector-store-env.js';
import { deleteKeys, redisEnv } from './test-redis.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * An isolated ingest environment on the real broker and Redis: its own topics, consumer group,
 * Redis prefix and vector store (directory or Qdrant collection prefix), so tests never see each
 * other's data.
 */
export class IngestHarness {
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly kafka: Kafka;
  readonly redis: RedisClient;
  readonly store: AliasingVectorStore;
  readonly states: RedisUserStateStore;
  readonly publisher: InteractionPublisher;
  readonly admin: Admin;
  /** A directory of this harness' own (removed on close). */
  readonly dir: string;
  private readonly children = new Set<ChildProcess>();

  constructor(opts: { kafkaBrokers: string; redisUrl: string; partitions?: number; extraEnv?: Record<string, string> }) {
    const id = unique('ingest');
    this.dir = mkdtempSync(path.join(tmpdir(), 'is-test-'));
    this.env = {
      KAFKA_BROKERS: opts.kafkaBrokers,
      ...redisEnv(opts.redisUrl),
      INTERACTIONS_TOPIC: `${id}-interactions`,
      ITEMS_TOPIC: `${id}-items`,
      HISTORY_TOPIC: `${id}-history`,
      CONSUMER_GROUP: `${id}-group`,
      REDIS_PREFIX: id,
      GENERATION: 'g1',
      ...vectorStoreEnv(id, this.dir),
      TOPIC_PARTITIONS: String(opts.partitions ?? 3),
      METRICS_PORT: '0',
      // Several snapshotter processes run on one host in the crash and cluster tests.
      SNAPSHOTTER_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      UNKNOWN_ITEM_RETRIES: '1',
      UNKNOWN_ITEM_RETRY_MS: '50',
      // Unknown items go to the DLQ at once unless a test turns parking on.
      UNKNOWN_ITEM_PARK_MS: '0',
      SHUTDOWN_GRACE_MS: '15000',
      // A killed or frozen process' partitions move after 10 s instead of kafkajs' 30 s: the fault
      // tests wait for that failover, and it is what an operator who wants fast failover sets.
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      ...opts.extraEnv,
    };
    this.config = loadConfig(this.env);
    this.kafka = new Kafka({ clientId: 'test', brokers: opts.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    this.redis = createRedisClient({ url: opts.redisUrl, cluster: this.config.redisCluster, logger: silentLogger() });
    this.store = createVectorStore(this.config, silentLogger());
    this.states = new RedisUserStateStore(this.redis, new RedisKeys(this.config.redisPrefix, this.config.generation));
    this.publisher = new InteractionPublisher({ kafka: this.kafka, topic: this.config.interactionsTopic });
    this.admin = this.kafka.admin();
  }

  get groupId(): string {
    return consumerGroupId(this.config.consumerGroup, this.config.generation);
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await ensureTopic(this.admin, this.config.interactionsTopic, this.config.topicPartitions);
    await this.store.start();
    await this.publisher.start();
  }

  /** Imports the catalogue straight into the items collection (unit-length, as the import does). */
  async importItems(items: ReadonlyMap<string, Float32Array>, payload: (id: string) => Record<string, unknown> = () => ({})): Promise<void> {
    const d = [...items.values()][0]!.length;
    await this.store.ensureCollection(this.config.itemsCollection, d);
    await this.store.upsert(this.config.itemsCollection, [...items].map(([id, v]) => ({ id, vector: normalize(v)!, payload: payload(id) })));
  }

  /** Runs `interest-stream ingest` as a child process, as an operator would. */
  spawnIngest(extraArgs: string[] = [], extraEnv: Record<string, string> = {}): ChildProcess {
    return this.spawnCli('ingest', extraArgs, extraEnv);
  }

  /** Runs any `interest-stream` command (query, snapshotter, …) as a child process with this harness' environment. */
  spawnCli(command: string, extraArgs: string[] = [], extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/cli/main.ts'), command, ...extraArgs], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      if (code !== 0 && code !== null && signal === null) process.stderr.write(`${command} child exited ${code}: ${stderr}\n`);
    });
    this.children.add(child);
    return child;
  }

  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await killAndWait(child, signal);
  }

  /** Waits until a consumer with this Kafka client id is a member of the ingest group (that ingest is up). */
  async joined(clientId: string, timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        const { groups } = await this.admin.describeGroups([this.groupId]);
        return (groups[0]?.members ?? []).some((m) => m.clientId === clientId);
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Waits until the group has committed every partition up to its end offset. */
  async drained(timeoutMs = 60_000): Promise<void> {
    await waitForCatchUp(this.admin, this.groupId, this.config.interactionsTopic, { timeoutMs, intervalMs: 200 });
  }

  /** Users' states as Redis holds them. */
  async hotStates(userIds: readonly string[]): Promise<Map<string, UserState>> {
    return this.states.getMany(userIds);
  }

  /** Users' states as the durable users collection holds them. */
  async durableStates(userIds: readonly string[]): Promise<Map<string, UserState>> {
    const points = await this.store.get(usersCollection(this.config.generation), userIds);
    return new Map([...points].map(([id, p]) => [id, fromUserPoint(p)]));
  }

  async close(): Promise<void> {
    for (const c of [...this.children]) await this.kill(c);
    await this.publisher.close();
    await deleteKeys(this.redis, `${this.config.redisPrefix}:*`);
    // Only those that exist: kafkajs retries the deletion of a missing topic for ~10 s (a test without ingest never creates the DLQs).
    const existing = new Set(await this.admin.listTopics().catch(() => []));
    const own = [this.config.interactionsTopic, `${this.config.interactionsTopic}.dlq`, this.config.itemsTopic, `${this.config.itemsTopic}.dlq`, this.config.historyTopic];
    await this.admin.deleteTopics({ topics: own.filter((t) => existing.has(t)) }).catch(() => {});
    await this.admin.disconnect();
    await this.redis.quit();
    // A shared Qdrant keeps what is not dropped (the embedded store's directory goes below).
    for (const c of [this.config.itemsCollection, usersCollection(this.config.generation)]) await this.store.dropCollection(c).catch(() => {});
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Registers the usual suite hooks: an isolated harness with the catalogue imported before the
 * tests, and the ingest (if a test started one) and the harness closed after them.
 */
export function ingestSuite(items: ReadonlyMap<string, Float32Array>, opts: { partitions?: number; extraEnv?: Record<string, string> } = {}) {
  const suite = {
    h: new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl'), ...opts }),
    ingest: undefined as IngestHandle | undefined,
    /** Starts ingest in this process (closing one started before). */
    async startIngest(): Promise<IngestHandle> {
      await suite.ingest?.close();
      suite.ingest = await startIngest(suite.h.config, silentLogger());
      return suite.ingest;
    },
    async stopIngest(): Promise<void> {
      await suite.ingest?.close();
      suite.ingest = undefined;
    },
  };
  beforeAll(async () => {
    await suite.h.start();
    await suite.h.importItems(items);
  });
  afterAll(async () => {
    await suite.stopIngest();
    await suite.h.close();
  });
  return suite;
}

/**
 * Inside a test: a redis-server of the test's own on `port` (OwnRedis: for tests that kill or flush
 * it) and a harness on it, both closed when the test finishes.
 */
export async function harnessOnOwnRedis(port: number): Promise<{ redis: OwnRedis; h: IngestHarness }> {
  const redis = new OwnRedis(port);
  onTestFinished(() => redis.close());
  await redis.start();
  const h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: redis.url });
  onTestFinished(() => h.close());
  // The test stops Redis under the harness's client on purpose.
  h.redis.on('error', () => {});
  await h.start();
  return { redis, h };
}
