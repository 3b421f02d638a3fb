import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { unique } from '../support/names.js';
import { run, startService, type Service } from '../support/processes.js';
import { redisEnv } from '../support/test-redis.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** What another service writes to publish events with the package's typed producer. */
const PUBLISHER_SCRIPT = `
import { Kafka, logLevel } from 'kafkajs';
import { InteractionPublisher, ensureTopic } from 'interest-stream';
const kafka = new Kafka({ clientId: 'consumer-app', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await ensureTopic(admin, process.env.INTERACTIONS_TOPIC, 1);
await admin.disconnect();
const publisher = new InteractionPublisher({ kafka, topic: process.env.INTERACTIONS_TOPIC });
await publisher.start();
const sent = await publisher.publish([{ userId: 'u1', itemId: 'a', type: 'VIEW' }]);
await publisher.close();
console.log(JSON.stringify(sent));
`;

/**
 * `npm pack`, then `npm install <tarball>` into an empty folder: the installed package alone — no
 * source tree, no .stack/env — runs its binary against the real stack and exports the publisher.
 */
describe('the npm package, installed into an empty folder', () => {
  let tmp: string;
  let app: string;
  let bin: string;
  let env: Record<string, string>;
  const services: Service[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'is-pack-'));
    // `prepack` builds dist/ first, so the tarball never ships stale code.
    const packed = await run('npm', ['pack', '--pack-destination', tmp], { cwd: ROOT });
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBe('interest-stream-0.1.0.tgz');
    app = path.join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }));
    const installed = await run('npm', ['install', path.join(tmp, tarball!), '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app });
    expect(installed.code, installed.stderr).toBe(0);
    bin = path.join(app, 'node_modules', '.bin', 'interest-stream');
    const id = unique('pack');
    env = {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      ...redisEnv(),
      INTERACTIONS_TOPIC: `${id}-interactions`,
      ITEMS_TOPIC: `${id}-items`,
      HISTORY_TOPIC: `${id}-history`,
      CONSUMER_GROUP: `${id}-group`,
      REDIS_PREFIX: id,
      VECTOR_STORE: 'embedded',
      EMBEDDED_STORE_DIR: path.join(tmp, 'vectors'),
      TOPIC_PARTITIONS: '1',
      METRICS_PORT: '0',
      QUERY_HTTP_PORT: '0',
      QUERY_GRPC_PORT: '0',
      LOG_LEVEL: 'info',
    };
  }, 600_000);

  afterAll(async () => {
    for (const s of services.reverse()) await s.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the Avro and proto schemas and the OpenAPI document, and `interest-stream help` runs', async () => {
    const pkg = path.join(app, 'node_modules', 'interest-stream');
    for (const f of ['schemas/avro/InteractionEvent.avsc', 'schemas/proto/recommendations.proto', 'docs/openapi.json', 'dist/services/publisher.d.ts']) {
      expect(existsSync(path.join(pkg, f)), f).toBe(true);
    }
    expect(readFileSync(path.join(pkg, 'docs/openapi.json'), 'utf8')).toBe(readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8'));
    const help = await run(bin, ['help'], { cwd: app });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('interest-stream <command> [options]');
  });

  it('imports a catalogue, folds what the typed publisher sends, and answers a recommendation', async () => {
    const catalogue = path.join(tmp, 'catalogue.jsonl');
    writeFileSync(catalogue, ['{"id":"a","vector":[1,0,0]}', '{"id":"b","vector":[0.8,0.6,0]}', '{"id":"c","vector":[0,0,1]}', ''].join('\n'));
    const imported = await run(bin, ['items', 'import', catalogue], { cwd: app, env });
    expect(imported.stdout).toContain('imported 3 items (dimension 3)');

    const ingest = await startService(bin, ['ingest'], { cwd: app, env, readyMsg: 'ingest running' });
    services.push(ingest);
    const metricsUrl = `http://127.0.0.1:${String(ingest.ready.metricsPort)}`;
    expect(await (await fetch(`${metricsUrl}/healthz`)).json()).toEqual({ ok: true });

    writeFileSync(path.join(app, 'publish.mjs'), PUBLISHER_SCRIPT);
    const published = await run('node', ['publish.mjs'], { cwd: app, env });
    expect(published.code, published.stderr).toBe(0);
    expect(JSON.parse(published.stdout)).toMatchObject([{ userId: 'u1', itemId: 'a', type: 'VIEW', weight: 1 }]);
    await eventually(async () => (await (await fetch(`${metricsUrl}/metrics`)).text()).includes('interest_stream_ingest_events_total{type="VIEW",outcome="applied"} 1'));

    const query = await startService(bin, ['query'], { cwd: app, env, readyMsg: 'query service listening' });
    services.push(query);
    const api = `http://127.0.0.1:${String(query.ready.httpPort)}`;
    expect(await (await fetch(`${api}/healthz`)).json()).toEqual({ status: 'ok' });
    const recs = (await (await fetch(`${api}/v1/users/u1/recommendations?limit=2`)).json()) as { items: Array<{ id: string; score: number }> };
    expect(recs.items.map((i) => i.id)).toEqual(['b', 'c']);
    expect(recs.items[0]!.score).toBeCloseTo(0.8, 5);

    expect(await query.stop()).toBe(0);
    expect(await ingest.stop()).toBe(0);
    // Producer settings match their guarantees: kafkajs has nothing to warn about.
    expect(ingest.output() + query.output()).not.toContain('EoS');
  });
});
