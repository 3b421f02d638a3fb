import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka } from '../../services/adapters/kafka/kafka-client.js';
import { createRootLogger, silentLogger } from '../../services/core/logger.js';
import { loadProtos } from '../../services/query/grpc-protos.js';
import { eventually } from '../support/eventually.js';
import { unique } from '../support/names.js';
import { startFixture, type QueryFixture } from '../support/query-fixture.js';
import { cleanUp, redisEnv, testRedis } from '../support/test-redis.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** `interest-stream query` as its own process; resolves once it logs its HTTP port. */
async function queryProcess(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/cli/main.ts'), 'query'], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"msg":"query service listening"/.test(out) ? /"httpPort":(\d+)/.exec(out) : null;
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`query exited with ${code}: ${out}`)));
  });
  return { child, port };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('rate limits shared by query replicas through Redis', () => {
  const prefix = unique('rl');
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const ports: number[] = [];

  beforeAll(async () => {
    const topic = unique('interactions');
    for (let i = 0; i < 2; i++) {
      const dir = await mkdtemp(path.join(tmpdir(), 'query-replica-'));
      dirs.push(dir);
      const { child, port } = await queryProcess({
        ...redisEnv(),
        KAFKA_BROKERS: inject('kafkaBrokers'),
        REDIS_PREFIX: prefix,
        INTERACTIONS_TOPIC: topic,
        TOPIC_PARTITIONS: '1',
        VECTOR_STORE: 'embedded',
        EMBEDDED_STORE_DIR: dir,
        QUERY_HTTP_PORT: '0',
        QUERY_GRPC_PORT: '0',
        API_KEYS: 'client:read:replica-secret',
        RATE_LIMIT_PER_MINUTE: '10',
        LOG_LEVEL: 'info',
      });
      children.push(child);
      ports.push(port);
    }
  });
  afterAll(async () => {
    await Promise.all(children.map(stop));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    await cleanUp(testRedis(), prefix);
  });

  it('gives one client exactly 10 successes a minute across two processes, then 429 naming the limit', async () => {
    const statuses: number[] = [];
    let limited: { body: unknown; retryAfter: string | null } | undefined;
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`http://127.0.0.1:${ports[i % 2]}/v1/users/u/recommendations`, { headers: { authorization: 'Bearer replica-secret' } });
      statuses.push(res.status);
      const body: unknown = await res.json();
      if (res.status === 429) limited ??= { body, retryAfter: res.headers.get('retry-after') };
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    expect(limited!.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/^rate limit of 10 requests per minute for API key "client" exceeded; retry in [1-6] s$/) } });
    expect(Number(limited!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited!.retryAfter)).toBeLessThanOrEqual(6);
  });
});

describe('query service: bounded answers when Kafka cannot take an erasure', () => {
  let f: QueryFixture;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const logger = createRootLogger({ level: 'info', name: 'query-limits' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { HEALTH_MAX_WATCHERS: '2' }, logger });
    const admin = createKafka({ brokers: f.config.kafkaBrokers, clientId: 'query-limits-test', logger: silentLogger() }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [f.config.interactionsTopic] });
    await admin.disconnect();
  });
  afterAll(async () => {
    await f.close();
  });

  it('answers DELETE with 503 naming the cause within 3 s while the interactions topic is missing', async () => {
    const started = Date.now();
    const res = await f.http('/v1/users/someone', { method: 'DELETE' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(503);
    const requestId = res.headers.get('x-request-id');
    expect(res.body).toEqual({ error: { code: 'UNAVAILABLE', message: 'Kafka did not take the event within 2000 ms; retry later', requestId } });
    const logged = logs.find((l) => l.requestId === requestId && l.msg === 'request failed');
    expect(logged?.level).toBe(50);
    expect(JSON.stringify(logged)).toContain(`publishing to ${f.config.interactionsTopic} did not complete within 2000 ms`);
    // The erasure that was not published leaves no record holding the user id.
    expect(await f.redis.keys(`${f.config.redisPrefix}:erasure:*`)).toEqual([]);
  });

  it('reports not ready while it cannot publish', async () => {
    await eventually(async () => (await f.http('/readyz', { key: null })).status === 503, { timeoutMs: 10_000 });
    expect((await f.http('/readyz', { key: null })).body).toMatchObject({ ready: false, checks: { producer: 'unreachable', redis: 'ok' } });
  });

  it('caps gRPC health Watch streams', async () => {
    const Health = loadProtos().health;
    const client = new Health(`127.0.0.1:${f.service.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      Watch(req: object): grpc.ClientReadableStream<{ status: string }>;
    };
    const streams = [client.Watch({ service: '' }), client.Watch({ service: '' })];
    await Promise.all(streams.map((s) => new Promise((resolve) => s.once('data', resolve))));
    const third = client.Watch({ service: '' });
    const error = await new Promise<grpc.ServiceError>((resolve) => third.on('error', resolve));
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.details).toBe('too many health Watch streams (at most 2)');
    // A cancelled stream gives its place back.
    for (const s of streams) s.on('error', () => {}).cancel();
    await eventually(async () => {
      const again = client.Watch({ service: '' });
      again.on('error', () => {});
      const first = await new Promise((resolve) => again.once('data', (d: { status: string }) => resolve(d.status)).once('error', () => resolve('refused')));
      again.cancel();
      return first === 'NOT_SERVING';
    }, { timeoutMs: 5000 });
    client.close();
  });
});

describe('query service: per-address limits behind a proxy, and failed authentications', () => {
  const fixtures: QueryFixture[] = [];
  const start = async (env: Record<string, string>): Promise<QueryFixture> => {
    const f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers'), env });
    fixtures.push(f);
    return f;
  };
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.close()));
  });
  const from = (f: QueryFixture, address: string) => f.http('/v1/users/u/recommendations', { key: null, headers: { 'x-forwarded-for': address } }).then((r) => r.status);

  it('with TRUST_PROXY=true charges the forwarded client address, so clients behind one balancer do not share a bucket', async () => {
    const f = await start({ API_KEYS: '', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '2', TRUST_PROXY: 'true' });
    expect([await from(f, '203.0.113.1'), await from(f, '203.0.113.1'), await from(f, '203.0.113.1')]).toEqual([200, 200, 429]);
    expect(await from(f, '203.0.113.2')).toBe(200);
  });

  it('without TRUST_PROXY ignores X-Forwarded-For: the peer address is the client', async () => {
    const f = await start({ API_KEYS: '', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '2' });
    expect([await from(f, '203.0.113.1'), await from(f, '203.0.113.2'), await from(f, '203.0.113.3')]).toEqual([200, 200, 429]);
  });

  it('charges failed authentications to the address: guessing gets 429, the right key still gets through', async () => {
    const f = await start({ API_KEYS: 'k:read:right', AUTH_FAILURES_PER_MINUTE: '2' });
    const guess = (key: string) => f.http('/v1/users/u/recommendations', { key });
    expect([(await guess('a')).status, (await guess('b')).status]).toEqual([401, 401]);
    const throttled = await guess('c');
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.message).toMatch(/^rate limit of 2 requests per minute for failed authentications from this client address exceeded; retry in (29|30) s$/);
    expect((await guess('right')).status).toBe(200);
  });
});
