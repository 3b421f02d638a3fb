/**
 * What the erasure tests look for after an erasure: every Redis key dumped by type, and the traces
 * of one user (their id, vectors, item ids, event-id hashes) searched in those bytes.
 */
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { readTopicToEnd, type TopicMessage } from '../../services/adapters/kafka/topic-reader.js';
import type { RedisClient } from '../../services/adapters/redis/redis-client.js';
import { eventIdHash } from '../../services/domain/event-id.js';
import { setGate, type GateName } from '../../services/core/gates.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys } from '../../services/core/names.js';
import { waitForCatchUp } from '../../services/adapters/kafka/consumer-lag.js';
import { createHistoryFoldMetrics } from '../../services/snapshotter/metrics.js';
import { RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import { HistoryFold } from '../../services/snapshotter/history-fold.js';
import type { IngestHarness } from './ingest-harness.js';
import { decodeInteraction } from '../../services/core/events.js';
import type { InteractionEvent } from '../../services/domain/types.js';
import { openerFor, userKeyStore } from '../../services/adapters/shredding.js';

export interface DumpedKey {
  readonly key: string;
  readonly type: string;
  /** Every field name, member, element and value the key holds, as bytes. */
  readonly parts: Buffer[];
}

/** SCANs every key matching `pattern` (on each primary of a cluster) and dumps it by type. */
export async function dumpRedis(redis: RedisClient, pattern: string): Promise<DumpedKey[]> {
  const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
  }
  return Promise.all(keys.map(async (key) => ({ key, ...(await dumpKey(redis, key)) })));
}

async function dumpKey(redis: RedisClient, key: string): Promise<{ type: string; parts: Buffer[] }> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return { type, parts: [(await redis.getBuffer(key)) ?? Buffer.alloc(0)] };
    case 'hash':
      return { type, parts: Object.entries(await redis.hgetallBuffer(key)).flatMap(([f, v]) => [Buffer.from(f), v]) };
    case 'list':
      return { type, parts: await redis.lrangeBuffer(key, 0, -1) };
    case 'set':
      return { type, parts: await redis.smembersBuffer(key) };
    case 'zset':
      return { type, parts: await redis.zrangeBuffer(key, 0, -1) };
    case 'none':
      // Gone between the SCAN and now (a lease or claim that expired): it holds nothing.
      return { type, parts: [] };
    default:
      throw new Error(`key ${key} has type ${type}, which this dump does not read`);
  }
}

/** What identifies a user's activity: their vectors (raw float32 bytes), item ids and event-id hashes (hex and packed). */
export interface UserTraces {
  readonly userId: string;
  readonly vectors: readonly Float32Array[];
  readonly itemIds: readonly string[];
  readonly eventIds: readonly string[];
}

/** The traces of `t` found in `bytes`, named (`vector #2`, `item i-07`, `event hash …`); empty when none. */
export function tracesIn(bytes: Buffer, t: UserTraces): string[] {
  const found: string[] = [];
  t.vectors.forEach((v, i) => {
    if (bytes.includes(Buffer.from(v.buffer, v.byteOffset, v.byteLength))) found.push(`vector #${i}`);
  });
  for (const id of t.itemIds) if (bytes.includes(Buffer.from(id))) found.push(`item ${id}`);
  for (const e of t.eventIds) {
    const hash = eventIdHash(e);
    if (bytes.includes(Buffer.from(hash)) || bytes.includes(Buffer.from(hash, 'hex'))) found.push(`event hash of ${e}`);
  }
  return found;
}

/**
 * Every message of a topic up to its current end. Each partition is sealed first with a plain
 * record (key `erasure-test-seal`, null value): a partition whose last offset is a transaction
 * marker otherwise never reports that it reached its end.
 */
export async function readAll(kafka: Kafka, topic: string): Promise<TopicMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const partitions = (await admin.fetchTopicOffsets(topic)).map((o) => o.partition);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: partitions.map((partition) => ({ partition, key: 'erasure-test-seal', value: null })) });
  await producer.disconnect();
  const out: TopicMessage[] = [];
  await readTopicToEnd(kafka, topic, (m) => void out.push(m), { groupPrefix: 'erasure-test' });
  return out;
}

/** The topic as compaction leaves it: the last message of each key (null-valued ones removed). */
export function compacted(messages: readonly TopicMessage[]): Map<string, TopicMessage> {
  const last = new Map<string, TopicMessage>();
  for (const m of messages) if (m.key !== null) last.set(m.key.toString(), m);
  for (const [k, m] of last) if (m.value === null) last.delete(k);
  return last;
}

/** A history fold of the whole topic into a store and group of its own (`name`): what a rebuild gives. */
export async function rebuildHistory(h: IngestHarness, name: string): Promise<RedisHistoryStore> {
  const store = new RedisHistoryStore(h.redis, new RedisKeys(h.config.redisPrefix, name), h.config.historySize);
  const groupId = `${h.config.consumerGroup}-${name}`;
  const fold = new HistoryFold({
    ...{ kafka: h.kafka, topic: h.config.historyTopic, groupId, generation: h.config.generation, history: store },
    ...{ deadLetter: async () => {}, logger: silentLogger(), metrics: createHistoryFoldMetrics(new Registry()) },
  });
  await fold.start();
  try {
    await waitForCatchUp(h.admin, groupId, h.config.historyTopic, { timeoutMs: 30_000 });
  } finally {
    await fold.close();
  }
  return store;
}

export interface Held {
  /** Resolves with the gate's detail when the flow reaches the gate (and waits there). */
  readonly reached: Promise<readonly string[]>;
  release(): void;
}

/**
 * Holds the next flow that reaches gate `name` with a detail `match` accepts, until `release()`.
 * A later `hold` on the same gate replaces this one for flows that arrive after it.
 */
const held = new Set<() => void>();

/** Lets every held flow go and removes the gates (after each test, so a failed one blocks nothing). */
export function releaseAll(): void {
  for (const name of ['erase:purge', 'ingest:batch', 'durable:write', 'snapshot:send'] as const) setGate(name, undefined);
  for (const free of held) free();
  held.clear();
}

export function hold(name: GateName, match: (detail: readonly string[]) => boolean): Held {
  let reach!: (detail: readonly string[]) => void;
  let free!: () => void;
  const reached = new Promise<readonly string[]>((r) => (reach = r));
  const freed = new Promise<void>((r) => (free = r));
  held.add(free);
  let armed = true;
  setGate(name, async (detail) => {
    if (!armed || !match(detail)) return;
    armed = false;
    reach(detail);
    await freed;
  });
  return { reached, release: free };
}

/** Every record of a topic up to the end it had, read in a throw-away consumer group (the topic is not written to). */
export async function readTopic(h: IngestHarness, topic: string): Promise<TopicMessage[]> {
  const out: TopicMessage[] = [];
  await readTopicToEnd(h.kafka, topic, (m) => void out.push(m), { groupPrefix: 'erasure-check' });
  return out;
}

/** What the product can read of a topic: every value opened with its key store (shred mode), then decoded. */
export async function readAsProduct(h: IngestHarness, topic: string): Promise<{ events: InteractionEvent[]; shredded: number; raw: TopicMessage[] }> {
  const raw = await readTopic(h, topic);
  const opened = await openerFor(userKeyStore(h.config, h.redis, h.store)).prepare(raw.map((m) => m.value));
  const plain = raw.map((m) => opened.plain(m.value!));
  return { events: plain.flatMap((p) => (p === undefined ? [] : [decodeInteraction(p)])), shredded: plain.filter((p) => p === undefined).length, raw };
}
