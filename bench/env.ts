/**
 * An isolated benchmark environment on the running stack: its own topics, consumer group, Redis
 * prefix and embedded store directory (all unique), and a `close()` that removes every one of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../services/core/config.js';
import { foldParams } from '../services/ingest/ingest-service.js';
import type { FoldParams } from '../services/domain/types.js';
import { silentLogger } from '../services/core/logger.js';
import { RedisKeys, consumerGroupId, usersCollection } from '../services/core/names.js';
import { InteractionPublisher, ensureTopic, type InteractionInput } from '../services/adapters/kafka/interaction-publisher.js';
import { createVectorStore } from '../services/adapters/vector-store/create-vector-store.js';
import type { AliasingVectorStore } from '../services/domain/ports/index.js';
import type { Catalogue } from '../services/workload/catalogue.js';
import { consumerLag } from '../services/adapters/kafka/consumer-lag.js';

export const ROOT = path.resolve(import.meta.dirname, '..');

export interface Stack {
  readonly kafkaBrokers: string;
  readonly redisUrl: string;
  readonly qdrantUrl: string | undefined;
}

/** The running stack: the environment first, then `.stack/env` (written by `npm run stack:up`), then the native defaults. */
export function stackFromEnv(): Stack {
  const file = path.join(ROOT, '.stack', 'env');
  const fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) fromFile[m[1]!] = m[2]!;
    }
  }
  const pick = (name: string, def: string) => process.env[name] || fromFile[name] || def;
  return { kafkaBrokers: pick('KAFKA_BROKERS', '127.0.0.1:19092'), redisUrl: pick('REDIS_URL', 'redis://127.0.0.1:16379'), qdrantUrl: process.env.QDRANT_URL || undefined };
}

/** A port that was free a moment ago (the query child is told to listen on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export class BenchEnv {
  readonly id: string;
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly redis: Redis;
  readonly store: AliasingVectorStore;
  readonly keys: RedisKeys;
  readonly publisher: InteractionPublisher;
  private readonly dir: string;
  private readonly children = new Set<ChildProcess>();

  constructor(stack: Stack, name: string, extraEnv: Record<string, string> = {}) {
    this.id = `bench-${name}-${randomUUID().slice(0, 8)}`;
    this.dir = mkdtempSync(path.join(tmpdir(), 'is-bench-'));
    this.env = {
      KAFKA_BROKERS: stack.kafkaBrokers,
      REDIS_URL: stack.redisUrl,
      INTERACTIONS_TOPIC: `${this.id}-interactions`,
      ITEMS_TOPIC: `${this.id}-items`,
      CONSUMER_GROUP: `${this.id}-group`,
      REDIS_PREFIX: this.id,
      GENERATION: 'g1',
      VECTOR_STORE: 'embedded',
      EMBEDDED_STORE_DIR: path.join(this.dir, 'vectors'),
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '1000000',
      SHUTDOWN_GRACE_MS: '5000',
      ...extraEnv,
    };
    this.config = loadConfig(this.env);
    this.kafka = new Kafka({ clientId: 'bench', brokers: stack.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
    this.redis = new Redis(stack.redisUrl);
    this.store = createVectorStore(this.config, silentLogger());
    this.keys = new RedisKeys(this.config.redisPrefix, this.config.generation);
    this.publisher = new InteractionPublisher({ kafka: this.kafka, topic: this.config.interactionsTopic });
  }

  /** Environment that points a BenchEnv at the Qdrant at QDRANT_URL, under collection names of its own. */
  static qdrantEnv(stack: Stack, name: string): Record<string, string> {
    if (!stack.qdrantUrl) throw new Error('the Qdrant variant needs QDRANT_URL');
    return { VECTOR_STORE: 'qdrant', QDRANT_URL: stack.qdrantUrl, QDRANT_COLLECTION_PREFIX: `bench-${name}-${randomUUID().slice(0, 8)}_` };
  }

  /** A directory for a child's CPU profiles, removed with the environment. */
  newProfileDir(): string {
    return mkdtempSync(path.join(this.dir, 'profile-'));
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

  /** Writes the catalogue straight into the items collection (its vectors are unit length already). */
  async importCatalogue(catalogue: Catalogue, chunk = 10_000): Promise<void> {
    await this.store.ensureCollection(this.config.itemsCollection, catalogue.dimension);
    let batch = [];
    for (const item of catalogue.items()) {
      batch.push(item);
      if (batch.length === chunk) {
        await this.store.upsert(this.config.itemsCollection, batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.store.upsert(this.config.itemsCollection, batch);
  }

  /** Publishes every event, `chunk` per request; returns how many. */
  async publishAll(events: Iterable<InteractionInput>, chunk = 5_000): Promise<number> {
    let batch: InteractionInput[] = [];
    let n = 0;
    for (const e of events) {
      batch.push(e);
      if (batch.length === chunk) {
        n += (await this.publisher.publish(batch)).length;
        batch = [];
      }
    }
    if (batch.length > 0) n += (await this.publisher.publish(batch)).length;
    return n;
  }

  /** Runs an `interest-stream` command as a child process, as an operator would; `--cpu-prof` when a profile directory is given. */
  spawnCli(command: 'ingest' | 'query', opts: { profileDir?: string; env?: Record<string, string> } = {}): ChildProcess {
    const prof = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
    const child = spawn(process.execPath, [...prof, '--import', 'tsx', path.join(ROOT, 'services/cli/main.ts'), command], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, ...opts.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      if (code !== 0 && code !== null && signal === null) process.stderr.write(`${command} child exited ${code}: ${stderr}\n`);
    });
    this.children.add(child);
    return child;
  }

  /** SIGTERM (a graceful stop, which also writes a CPU profile), SIGKILL after 15 s. */
  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** Resolves (with performance.now()) once the group has joined and holds its partitions. */
  async groupStable(groupId = this.groupId, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { groups } = await this.admin.describeGroups([groupId]);
      if (groups[0]?.state === 'Stable') return performance.now();
      await sleep(10);
    }
    throw new Error(`consumer group ${groupId} did not become stable within ${timeoutMs} ms`);
  }

  /** Resolves (with performance.now()) when every partition is committed up to its end offset. */
  async drained(groupId = this.groupId, timeoutMs = 600_000, intervalMs = 20): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const lag = await consumerLag(this.admin, groupId, this.config.interactionsTopic);
      if (lag.end > 0 && lag.total === 0) return performance.now();
      await sleep(intervalMs);
    }
    throw new Error(`group ${groupId} did not drain within ${timeoutMs} ms`);
  }

  async close(): Promise<void> {
    for (const c of [...this.children]) await this.stop(c);
    await this.publisher.close().catch(() => {});
    const keys = await this.redis.keys(`${this.config.redisPrefix}:*`);
    for (let i = 0; i < keys.length; i += 1000) await this.redis.del(...keys.slice(i, i + 1000));
    const topic = this.config.interactionsTopic;
    await this.admin.deleteTopics({ topics: [topic, `${topic}.dlq`, this.config.itemsTopic, `${this.config.itemsTopic}.dlq`] }).catch(() => {});
    const groups = (await this.admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(this.id));
    if (groups.length > 0) await this.admin.deleteGroups(groups).catch(() => {});
    await this.admin.disconnect();
    await this.redis.quit();
    // On a shared Qdrant the collections outlive the run unless dropped (the prefix keeps them apart).
    if (this.config.vectorStore === 'qdrant') for (const c of [this.config.itemsCollection, usersCollection(this.config.generation)]) await this.store.dropCollection(c).catch(() => {});
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The fold exactly as ingest runs it with default settings (multi-interest included), at `dimension`. */
export function productFoldParams(dimension: number): FoldParams {
  return { ...foldParams(loadConfig({})), dimension };
}
