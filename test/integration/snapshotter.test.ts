import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../services/core/config.js';
import { decodeSnapshot } from '../../services/core/events.js';
import type { InterestSnapshot, UserState } from '../../services/domain/types.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys } from '../../services/core/names.js';
import { formatWatermark } from '../../services/core/user-state-codec.js';
import { trendStrategy } from '../../services/domain/strategies.js';
import { cosine, normalize } from '../../services/domain/vector.js';
import { shardOfUser } from '../../services/adapters/redis/redis-dirty-users.js';
import { RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import { startIngest, type IngestHandle } from '../../services/ingest/ingest-service.js';
import { startHistoryFold, startSnapshotter, type HistoryFoldHandle, type SnapshotterHandle } from '../../services/snapshotter/main.js';
import { eventually } from '../support/eventually.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { unique } from '../support/names.js';
import { deleteKeys } from '../support/test-redis.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const D = 8;
const END_KEY = '__end-of-test__';

/** Short windows and leases so a test sees several windows and a crashed holder's shards resume quickly. */
function harness(): IngestHarness {
  return new IngestHarness({
    kafkaBrokers: inject('kafkaBrokers'),
    redisUrl: inject('redisUrl'),
    extraEnv: { HISTORY_TOPIC: unique('history'), SNAPSHOT_INTERVAL_MS: '1000', DIRTY_SHARDS: '4', SNAPSHOT_LEASE_MS: '1500', TREND_WINDOW: '3', HISTORY_SIZE: '20' },
  });
}

function unit(i: number): Float32Array {
  const v = new Float32Array(D);
  v[i] = 1;
  return v;
}

/** Cluster c (0 = A, 1 = B): the cluster axis plus a little of one of four other axes. */
function clusterItems(prefix: string, axis: number): Map<string, Float32Array> {
  const items = new Map<string, Float32Array>();
  for (let i = 0; i < 4; i++) {
    const v = unit(axis);
    v[2 + i] = 0.2;
    items.set(`${prefix}-${i}`, normalize(v)!);
  }
  return items;
}

/** Every record of the history topic up to an end marker written to each partition. */
class TopicRecords {
  readonly records: Array<{ partition: number; key: string; value: Buffer | null }> = [];
  private readonly ends = new Set<number>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: unique('collector'), maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString() ?? '';
        if (key === END_KEY) this.ends.add(partition);
        else if (!this.ends.has(partition)) this.records.push({ partition, key, value: message.value });
      },
    });
  }

  /** Writes an end marker to every partition and waits until all are read: every record committed before is in `records`. */
  async untilNow(): Promise<this> {
    const admin = this.kafka.admin();
    await admin.connect();
    const partitions = (await admin.fetchTopicOffsets(this.topic)).map((o) => o.partition);
    await admin.disconnect();
    this.ends.clear();
    this.records.length = 0;
    await this.consumer!.stop();
    await this.consumer!.disconnect();
    await this.start();
    const producer = this.kafka.producer();
    await producer.connect();
    await producer.send({ topic: this.topic, messages: partitions.map((partition) => ({ partition, key: END_KEY, value: null })) });
    await producer.disconnect();
    await eventually(() => this.ends.size === partitions.length, { timeoutMs: 20_000 });
    return this;
  }

  /** The user's snapshots (keyed per window slot) and erase markers (keyed by the user), in order; not the slots' compaction tombstones. */
  snapshotsOf(userId: string): Array<InterestSnapshot | null> {
    const mine = this.records.filter((r) => r.key === userId || (r.key.startsWith(`${userId}{`) && r.value !== null));
    return mine.map((r) => (r.value === null ? null : decodeSnapshot(r.value)));
  }

  close(): Promise<void> {
    return this.consumer?.disconnect() ?? Promise.resolve();
  }
}

async function deleteHistoryTopic(h: IngestHarness): Promise<void> {
  await h.admin.deleteTopics({ topics: [h.config.historyTopic, `${h.config.historyTopic}.dlq`] }).catch(() => {});
}

/** Waits until ingest has applied `count` events of every user, and returns their states. */
async function statesAt(h: IngestHarness, counts: ReadonlyMap<string, number>): Promise<Map<string, UserState>> {
  return eventually(async () => {
    const states = await h.hotStates([...counts.keys()]);
    for (const [userId, n] of counts) if (states.get(userId)?.eventCount !== n) throw new Error(`${userId}: ${states.get(userId)?.eventCount} of ${n} events`);
    return states;
  });
}

/** Waits until every user's newest snapshot carries the state's watermark. */
async function snapshotted(history: RedisHistoryStore, states: ReadonlyMap<string, UserState>, timeoutMs = 20_000): Promise<void> {
  await eventually(
    async () => {
      const missing = (await Promise.all([...states].map(async ([id, s]) => ((await latestWatermark(history, id)) === formatWatermark(s.watermark) ? 0 : 1)))).reduce(
        (a: number, b) => a + b,
        0,
      );
      if (missing > 0) throw new Error(`${missing} users not snapshotted yet`);
      return true;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

async function latestWatermark(history: RedisHistoryStore, userId: string): Promise<string> {
  const [s] = await history.recent(userId, 1);
  return s ? `${s.watermarkPartition}:${s.watermarkOffset}` : '';
}

describe('snapshotter and history fold: interests that move from cluster A to cluster B', () => {
  const h = harness();
  const A = clusterItems('a', 0);
  const B = clusterItems('b', 1);
  const user = 'mover';
  const history = new RedisHistoryStore(h.redis, new RedisKeys(h.config.redisPrefix, h.config.generation), h.config.historySize);
  const topic = new TopicRecords(h.kafka, h.config.historyTopic);
  const recorded: UserState[] = [];
  let handles: Array<IngestHandle | SnapshotterHandle | HistoryFoldHandle> = [];

  beforeAll(async () => {
    await h.start();
    await h.importItems(new Map([...A, ...B]));
    handles = [await startIngest(h.config, silentLogger()), await startSnapshotter(h.config, silentLogger()), await startHistoryFold(h.config, silentLogger())];
    await topic.start();
  });
  afterAll(async () => {
    for (const handle of handles.reverse()) await handle.close();
    await topic.close();
    await deleteHistoryTopic(h);
    await h.close();
  });

  it('keeps one snapshot per window, each equal to the state ingest wrote, and the trend points further towards B than the ema', async () => {
    const steps = [...Array(3).fill(['a-0', 'a-1', 'a-2']), ['b-0'], ['b-1'], ['b-2']] as string[][];
    let count = 0;
    for (const items of steps) {
      await h.publisher.publish(items.map((itemId) => ({ userId: user, itemId, type: 'VIEW' as const })));
      count += items.length;
      const states = await statesAt(h, new Map([[user, count]]));
      await snapshotted(history, states);
      recorded.push(states.get(user)!);
    }
    const snapshots = await history.recent(user, 20);
    expect(snapshots.map((s) => `${s.watermarkPartition}:${s.watermarkOffset}`)).toEqual(recorded.map((s) => formatWatermark(s.watermark)));
    expect(snapshots.map((s) => s.vector)).toEqual(recorded.map((s) => s.vector));
    expect(snapshots.map((s) => s.eventCount)).toEqual([3, 6, 9, 10, 11, 12]);
    for (let i = 1; i < snapshots.length; i++) expect(snapshots[i]!.window).toBeGreaterThan(snapshots[i - 1]!.window);

    const trend = trendStrategy(snapshots, h.config.trendWindow)!;
    const fromStates = trendStrategy(recorded.map((s, i) => ({ vector: s.vector!, takenAt: i })), 3)!;
    expect(trend.vector).toEqual(fromStates.vector);
    expect(trend.drift).toBe(fromStates.drift);
    expect(trend.drift).toBeGreaterThan(0);
    const ema = recorded.at(-1)!.vector!;
    expect(cosine(trend.vector, unit(1))).toBeGreaterThan(cosine(ema, unit(1)) + 0.1);
  });

  it('forgets an erased user: the history is cleared and the snapshotter emits nothing more for them', async () => {
    await h.publisher.publish([{ userId: user, itemId: '', type: 'ERASE' }]);
    await eventually(async () => (await history.recent(user, 20)).length === 0);
    // A later change of another user proves later windows ran without emitting for the erased one.
    await h.publisher.publish([{ userId: 'bystander', itemId: 'b-3', type: 'VIEW' }]);
    await snapshotted(history, await statesAt(h, new Map([['bystander', 1]])));
    const records = (await topic.untilNow()).snapshotsOf(user);
    expect(records.map((r) => (r === null ? 'erase' : r.eventCount))).toEqual([3, 6, 9, 10, 11, 12, 'erase']);
    // Every snapshot key of the user got its compaction tombstone after its snapshot.
    const all = (await topic.untilNow()).records.filter((r) => r.key.startsWith(`${user}{`));
    const last = new Map(all.map((r) => [r.key, r.value]));
    expect([...last.values()].every((v) => v === null)).toBe(true);
    expect(await history.recent(user, 20)).toEqual([]);
  });
});

/** A snapshotter in its own process (`services/snapshotter/run.ts`), as the crash test needs. */
function spawnSnapshotter(h: IngestHarness): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/snapshotter/run.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...h.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`snapshotter ${child.pid}: ${d.toString()}`));
  return child;
}

/**
 * The pid of a child caught between claiming a user's snapshot and confirming it (the pending claim
 * is there and the child holds the user's shard): the worst moment to die.
 */
async function claimingChild(h: IngestHarness, keys: RedisKeys, users: readonly string[], pids: readonly number[]): Promise<number | undefined> {
  const pending = await Promise.all(users.map((u) => h.redis.hget(keys.snapshotClaim(u), 'pw')));
  const shards = new Set(users.filter((_, i) => pending[i] !== null).map((u) => shardOfUser(u, h.config.dirtyShards)));
  for (const shard of shards) {
    const holder = await h.redis.get(keys.snapshotLease(shard));
    const pid = holder ? Number(holder.split(':')[1]) : undefined;
    if (pid !== undefined && pids.includes(pid)) return pid;
  }
  return undefined;
}

describe('two snapshotter processes, one SIGKILLed mid-run', () => {
  const h = harness();
  const keys = new RedisKeys(h.config.redisPrefix, h.config.generation);
  const history = new RedisHistoryStore(h.redis, keys, h.config.historySize);
  const users = Array.from({ length: 600 }, (_, i) => `u${i}`);
  const items = clusterItems('item', 0);
  /** Per user, the watermark of every state a round left behind: the snapshots the history must hold. */
  const expected = new Map<string, UserState[]>(users.map((u) => [u, []]));
  let handles: Array<IngestHandle | HistoryFoldHandle> = [];

  beforeAll(async () => {
    await h.start();
    await h.importItems(items);
    handles = [await startIngest(h.config, silentLogger()), await startHistoryFold(h.config, silentLogger())];
  });
  afterAll(async () => {
    for (const handle of handles.reverse()) await handle.close();
    await deleteHistoryTopic(h);
    await h.close();
  });

  /** One view per user of `round`, then waits for ingest; returns the states each change produced. */
  async function round(members: readonly string[], counts: Map<string, number>): Promise<Map<string, UserState>> {
    await h.publisher.publish(members.map((userId, i) => ({ userId, itemId: `item-${i % 4}`, type: 'VIEW' as const })));
    for (const u of members) counts.set(u, (counts.get(u) ?? 0) + 1);
    const states = await statesAt(h, new Map(members.map((u) => [u, counts.get(u)!])));
    for (const [u, s] of states) expected.get(u)!.push(s);
    return states;
  }

  it('snapshots every (user, change) exactly once, in its own window, with none missing', async () => {
    const counts = new Map<string, number>();
    const children = [spawnSnapshotter(h), spawnSnapshotter(h)];
    const exited = children.map((c) => new Promise((r) => c.once('exit', r)));
    try {
      await snapshotted(history, await round(users, counts), 30_000);

      const states = round(users, counts);
      const victim = await eventually(() => claimingChild(h, keys, users, children.map((c) => c.pid!)), { timeoutMs: 20_000, intervalMs: 2 });
      children.find((c) => c.pid === victim)!.kill('SIGKILL');
      await snapshotted(history, await states);

      const replacement = spawnSnapshotter(h);
      children.push(replacement);
      exited.push(new Promise((r) => replacement.once('exit', r)));
      await snapshotted(history, await round(users.filter((_, i) => i % 2 === 0), counts));
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await Promise.all(exited);
    }

    const problems: string[] = [];
    for (const [u, states] of expected) {
      const got = await history.recent(u, 20);
      const want = states.map((s) => formatWatermark(s.watermark));
      const have = got.map((s) => `${s.watermarkPartition}:${s.watermarkOffset}`);
      if (JSON.stringify(have) !== JSON.stringify(want)) problems.push(`${u}: snapshots of ${have.join(',')}, expected ${want.join(',')}`);
      if (new Set(got.map((s) => s.window)).size !== got.length) problems.push(`${u}: a window twice`);
    }
    expect(problems.slice(0, 5)).toEqual([]);

    // The topic: a (user, window) appears with one content only; a copy can only be a byte-identical resend.
    const topic = new TopicRecords(h.kafka, h.config.historyTopic);
    await topic.start();
    const byKey = new Map<string, Set<string>>();
    for (const r of (await topic.untilNow()).records) {
      const s = decodeSnapshot(r.value!);
      const key = `${s.userId}@${s.window}`;
      byKey.set(key, (byKey.get(key) ?? new Set()).add(r.value!.toString('base64')));
    }
    await topic.close();
    expect([...byKey.values()].filter((contents) => contents.size > 1)).toEqual([]);
    expect(byKey.size).toBe([...expected.values()].reduce((n, s) => n + s.length, 0));
  });

  it('rebuilds identical histories from the topic alone into a fresh prefix and consumer group', async () => {
    const fresh: Config = loadConfig({ ...h.env, REDIS_PREFIX: unique('rebuild'), CONSUMER_GROUP: unique('rebuild-group') });
    const rebuilt = new RedisHistoryStore(h.redis, new RedisKeys(fresh.redisPrefix, fresh.generation), fresh.historySize);
    const fold = await startHistoryFold(fresh, silentLogger());
    try {
      await eventually(async () => {
        for (const u of users) expect(await rebuilt.recent(u, 20)).toEqual(await history.recent(u, 20));
        return true;
      });
      expect((await rebuilt.recent('u0', 20)).length).toBe(3);
    } finally {
      await fold.close();
      await deleteKeys(h.redis, `${fresh.redisPrefix}:*`);
    }
  });
});
