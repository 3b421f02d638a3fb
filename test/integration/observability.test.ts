import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { startIngest, type IngestHandle } from '../../services/ingest/ingest-service.js';
import { startQueryService, type RunningQueryService } from '../../services/query/main.js';
import { startSnapshotterProcess, type SnapshotterProcessHandle } from '../../services/snapshotter/main.js';
import { eventually } from '../support/eventually.js';
import { IngestHarness } from '../support/ingest-harness.js';

const DIR = path.resolve(import.meta.dirname, '..', '..', 'infra', 'observability');

/** The project's metric names an expression uses (Prometheus' own `up` and functions are not ours). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:interest_stream|query)_[a-z0-9_]+\b/g)].map((m) => m[0]);
}

/** Every series name a /metrics text can produce: histograms and summaries add their suffixes. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(DIR, 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  return dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

function alertRules(): Array<{ alert: string; expr: string }> {
  const rules = parse(readFileSync(path.join(DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  return rules.groups.flatMap((g) => g.rules);
}

describe('dashboards and alert rules', () => {
  const h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl'), partitions: 1 });
  let ingest: IngestHandle;
  let query: RunningQueryService;
  let snapshotter: SnapshotterProcessHandle;

  beforeAll(async () => {
    await h.start();
    await h.importItems(new Map([['a', new Float32Array([1, 0])], ['b', new Float32Array([0, 1])]]));
    ingest = await startIngest(h.config, silentLogger());
    query = await startQueryService(loadConfig({ ...h.env, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0' }), silentLogger());
    snapshotter = await startSnapshotterProcess(h.config, silentLogger());
  });
  afterAll(async () => {
    await snapshotter?.close();
    await query?.close();
    await ingest?.close();
    await h.close();
  });

  it('alert on lag growth, DLQ rate, freshness p99, stalled snapshots, history fold lag, erase markers Redis lost, dead letters, 5xx rate and readiness', () => {
    expect(alertRules().map((r) => r.alert)).toEqual([
      'InterestStreamConsumerLagGrowing',
      'InterestStreamDeadLetterRate',
      'InterestStreamFreshnessP99High',
      'InterestStreamSnapshotsStalled',
      'InterestStreamHistoryFoldLagGrowing',
      'InterestStreamRedisLostEraseMarkers',
      'InterestStreamHistoryDeadLetters',
      'InterestStreamQuery5xxRate',
      'InterestStreamQueryNotReady',
      'InterestStreamTargetDown',
    ]);
  });

  it('use only metrics that the ingest, snapshotter and query processes expose on /metrics', async () => {
    await h.publisher.publish([
      { userId: 'u1', itemId: 'a', type: 'VIEW' },
      { userId: 'u2', itemId: 'not-in-catalogue', type: 'VIEW' },
    ]);
    const ingestUrl = `http://127.0.0.1:${ingest.metricsPort}/metrics`;
    const ingestText = await eventually(async () => {
      const text = await (await fetch(ingestUrl)).text();
      if (!text.includes('interest_stream_ingest_dead_letters_total{reason="UNKNOWN_ITEM"} 1')) throw new Error('no UNKNOWN_ITEM dead letter counted yet');
      return text;
    });
    expect(ingestText).toContain('interest_stream_ingest_events_total{type="VIEW",outcome="applied"} 1');
    expect(ingestText).toMatch(/^interest_stream_ingest_freshness_seconds\{quantile="0.99"\} \d/m);
    expect(ingestText).toMatch(/^interest_stream_ingest_consumer_lag\{topic="[^"]+",partition="0"\} \d+$/m);

    const api = `http://127.0.0.1:${query.httpPort}`;
    expect((await fetch(`${api}/v1/users/u1/recommendations?limit=1`)).status).toBe(200);
    const queryText = await (await fetch(`${api}/metrics`)).text();
    expect(queryText).toContain('query_ready 1');
    expect(queryText).toMatch(/^query_http_requests_total\{method="GET",route="\/v1\/users\/:userId\/recommendations",status="200"\} 1$/m);

    const snapshotterText = await (await fetch(`http://127.0.0.1:${snapshotter.metricsPort}/metrics`)).text();
    const exposed = new Set([...exposedNames(ingestText), ...exposedNames(queryText), ...exposedNames(snapshotterText)]);
    const used = new Set([...dashboardExprs(), ...alertRules().map((r) => r.expr)].flatMap(metricNames));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
