import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { startTracing, tracingEnabled } from '../../services/core/tracing.js';
import { startIngest, type IngestHandle } from '../../services/ingest/ingest-service.js';
import { startQueryService, type RunningQueryService } from '../../services/query/main.js';
import { eventually } from '../support/eventually.js';
import { IngestHarness } from '../support/ingest-harness.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: Array<{ traceId: string; spanId: string }>;
}

/** An in-process OTLP/HTTP receiver: collects the spans of every JSON export POSTed to /v1/traces. */
function otlpReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const doc = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans })));
}

/** Waits until `pick` finds something, and returns it. */
function found<T>(pick: () => T | undefined): Promise<T> {
  return eventually(() => {
    const v = pick();
    if (v === undefined) throw new Error('not exported yet');
    return v;
  });
}

const KIND = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };

describe('tracing with OpenTelemetry', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let h: IngestHarness;
  let stopTracing: () => Promise<void>;
  let ingest: IngestHandle;
  let query: RunningQueryService;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl'), partitions: 1, extraEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    await h.start();
    await h.importItems(new Map([['a', new Float32Array([1, 0])], ['b', new Float32Array([0.6, 0.8])]]));
  });
  afterAll(async () => {
    await query?.close();
    await ingest?.close();
    await stopTracing?.();
    await h.close();
    receiver.server.close();
  });

  it('is off by default: no SDK, and published records carry no traceparent', async () => {
    expect(loadConfig({}).otlpEndpoint).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    const sent = await h.publisher.publish([{ userId: 'u0', itemId: 'a', type: 'VIEW' }]);
    expect(sent).toHaveLength(1);
    const consumer = h.kafka.consumer({ groupId: `${h.config.consumerGroup}-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: h.config.interactionsTopic, fromBeginning: true });
    const headers: Array<Record<string, unknown>> = [];
    await consumer.run({ eachMessage: async ({ message }) => void headers.push(message.headers ?? {}) });
    await eventually(() => headers.length === 1);
    await consumer.disconnect();
    expect(headers[0]).toEqual({});
  });

  it('links the ingest batch span to the producer span, and gives a query span Redis and vector-store children', async () => {
    stopTracing = await startTracing(h.config.otlpEndpoint, 'interest-stream-test');
    ingest = await startIngest(h.config, silentLogger());
    query = await startQueryService(loadConfig({ ...h.env, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0' }), silentLogger());
    await h.publisher.publish([{ userId: 'u1', itemId: 'a', type: 'VIEW' }]);
    await eventually(async () => (await h.hotStates(['u1'])).has('u1'));
    const res = await fetch(`http://127.0.0.1:${query.httpPort}/v1/users/u1/recommendations?limit=1`);
    expect(((await res.json()) as { items: Array<{ id: string }> }).items.map((i) => i.id)).toEqual(['b']);

    const producer = await found(() => receiver.spans.find((s) => s.name === 'interactions publish' && s.kind === KIND.PRODUCER));
    const batch = await found(() =>
      receiver.spans.find((s) => s.name === 'interactions fold batch' && s.links?.some((l) => l.traceId === producer.traceId && l.spanId === producer.spanId)),
    );
    expect(batch.kind).toBe(KIND.CONSUMER);

    const request = await found(() => receiver.spans.find((s) => s.name === 'GET /v1/users/:userId/recommendations' && s.kind === KIND.SERVER));
    const children = await found(() => {
      const c = receiver.spans.filter((s) => s.parentSpanId === request.spanId && s.traceId === request.traceId);
      return c.some((s) => s.name.startsWith('redis ')) && c.some((s) => s.name === 'vectorStore.search') ? c : undefined;
    });
    expect(children.every((s) => s.kind === KIND.CLIENT)).toBe(true);
  });
});
