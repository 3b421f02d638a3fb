/**
 * `npx tsx bench/state-trust.ts`: what the trust rule (docs/design.md, "When a Redis state is
 * trusted") costs when loading a batch's users: the INFO round trip of every batch, and the durable
 * read of users this process has not verified (after a start, a rebalance, a Redis restart). On the
 * running stack's Redis and an embedded store in a temporary directory; prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '../services/core/logger.js';
import { RedisKeys } from '../services/core/names.js';
import { toUserPoint } from '../services/core/user-record.js';
import { emptyUserState } from '../services/domain/fold.js';
import { redisNodeIdentity } from '../services/adapters/redis/redis-node-identity.js';
import { RedisUserStateStore } from '../services/adapters/redis/redis-user-state-store.js';
import { EmbeddedVectorStore } from '../services/adapters/vector-store/embedded-vector-store.js';
import { createIngestMetrics } from '../services/ingest/metrics.js';
import { loadUserStates } from '../services/ingest/state-loader.js';
import { StateTrust } from '../services/ingest/state-trust.js';
import { stackFromEnv } from './env.js';

const USERS = 500;
const DIMENSION = 256;
const ROUNDS = 30;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 100) / 100;
}

async function timeIt(rounds: number, op: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await op();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

const redis = new Redis(stackFromEnv().redisUrl);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-trust-'));
const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });
const keys = new RedisKeys(`bench-trust-${randomUUID().slice(0, 8)}`, 'g1');
try {
  await store.start();
  await store.ensureCollection('users_g1', DIMENSION);
  const states = Array.from({ length: USERS }, (_, i) => {
    const vector = new Float32Array(DIMENSION).fill(1 / Math.sqrt(DIMENSION));
    return { ...emptyUserState(`u${i}`), vector, eventCount: 5, watermark: { partition: 0, offset: String(i) } };
  });
  const hot = new RedisUserStateStore(redis, keys);
  await hot.putMany(states);
  await store.upsert('users_g1', states.map((s) => toUserPoint(s, DIMENSION)));
  const ids = states.map((s) => s.userId);
  const trust = new StateTrust(() => redisNodeIdentity(redis));
  const src = { states: hot, store, usersCollection: 'users_g1', metrics: createIngestMetrics({ defaultMetrics: false }), trust };

  const info = await timeIt(200, () => redisNodeIdentity(redis));
  const before = await timeIt(ROUNDS, () => loadUserStates({ ...src, trust: undefined }, ids));
  await trust.observeNode();
  trust.remember(states);
  const trusted = await timeIt(ROUNDS, () => loadUserStates(src, ids));
  const untrusted = await timeIt(ROUNDS, () => (trust.forgetAll(), loadUserStates(src, ids)));
  console.log(JSON.stringify({ users: USERS, dimension: DIMENSION, infoRoundTripMs: info, loadMs: { redisOnlyNoRule: before, trusted, untrustedWithDurableRead: untrusted } }));
} finally {
  await redis.del(...(await redis.keys(`${keys.prefix}:*`)));
  redis.disconnect();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
