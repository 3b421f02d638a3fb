import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';

/** What operators watch on an ingest process (served on /metrics in Prometheus text format). */
export interface IngestMetrics {
  readonly registry: Registry;
  readonly events: Counter<'type' | 'outcome'>;
  readonly deadLetters: Counter<'reason'>;
  readonly batchSize: Histogram;
  readonly foldSeconds: Histogram;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly casConflicts: Counter;
  readonly rehydrated: Counter;
  readonly committedOffset: Gauge<'topic' | 'partition'>;
  readonly historyRecords: Counter;
  readonly durableWrites: Histogram;
  readonly staleDurableWrites: Counter;
  readonly droppedCommits: Counter;
  readonly untrustedStates: Counter;
  readonly corruptStates: Counter<'source'>;
  readonly pendingStates: Gauge;
  readonly pendingBytes: Gauge;
  readonly pausedSeconds: Counter;
  readonly pauses: Counter;
  readonly parkedEvents: Gauge;
  readonly freshness: Summary;
  readonly misrouted: Counter;
  readonly shredded: Counter;
}

export function createIngestMetrics(opts: { defaultMetrics?: boolean } = {}): IngestMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'interest_stream_' });
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: 'interest_stream_ingest_events_total',
      help: 'Interaction events folded, by type and outcome (applied, duplicate, stale, degenerate)',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'interest_stream_ingest_dead_letters_total',
      help: 'Messages sent to the dead-letter topic, by reason (error code)',
      labelNames: ['reason'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'interest_stream_ingest_batch_size',
      help: 'Messages per processed batch',
      buckets: [1, 10, 50, 100, 500, 1000, 5000, 10000, 50000],
      registers,
    }),
    foldSeconds: new Histogram({
      name: 'interest_stream_ingest_batch_seconds',
      help: 'Time to fold and store one batch (decode, state load, fold, Redis, durable store, DLQ)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    lag: new Gauge({
      name: 'interest_stream_ingest_consumer_lag',
      help: 'Messages behind the partition high watermark when the last batch was fetched',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    casConflicts: new Counter({
      name: 'interest_stream_ingest_cas_conflicts_total',
      help: 'User states re-read because another writer changed them (rebalances, zombies)',
      registers,
    }),
    rehydrated: new Counter({
      name: 'interest_stream_ingest_rehydrated_total',
      help: 'User states missing from Redis and loaded from the durable store',
      registers,
    }),
    durableWrites: new Histogram({
      name: 'interest_stream_ingest_durable_write_seconds',
      help: 'Time of one coalesced write of user states to the durable users collection',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    historyRecords: new Counter({
      name: 'interest_stream_ingest_history_records_total',
      help: 'Interest snapshots ingest sent for event-time windows that closed inside a batch',
      registers,
    }),
    // A sliding-window summary, not a histogram: operators (and the /ui operator panel) read the
    // current p99 straight from it, and alerts need no histogram_quantile over many buckets.
    freshness: new Summary({
      name: 'interest_stream_ingest_freshness_seconds',
      help: 'Per batch, time from its oldest event being appended to Kafka until its fold is in Redis (what queries read), over the last minute',
      percentiles: [0.5, 0.99],
      maxAgeSeconds: 60,
      ageBuckets: 6,
      registers,
    }),
    corruptStates: new Counter({
      name: 'interest_stream_ingest_corrupt_states_total',
      help: 'Stored user states that could not be decoded and were replaced (redis: from the durable store; durable: reset)',
      labelNames: ['source'] as const,
      registers,
    }),
    pendingStates: new Gauge({
      name: 'interest_stream_ingest_pending_states',
      help: 'User states folded into Redis and waiting for (or in) their durable write',
      registers,
    }),
    pendingBytes: new Gauge({
      name: 'interest_stream_ingest_pending_bytes',
      help: 'Estimated heap bytes of the states waiting for their durable write (INGEST_MAX_PENDING_BYTES caps it)',
      registers,
    }),
    pausedSeconds: new Counter({
      name: 'interest_stream_ingest_paused_seconds_total',
      help: 'Time fetching was paused because the durable writer was behind (back-pressure)',
      registers,
    }),
    pauses: new Counter({
      name: 'interest_stream_ingest_pauses_total',
      help: 'Times fetching was paused because the durable writer was behind (back-pressure)',
      registers,
    }),
    parkedEvents: new Gauge({
      name: 'interest_stream_ingest_parked_events',
      help: 'Events waiting for their catalogue item (UNKNOWN_ITEM_PARK_MS) before they fold or go to the DLQ',
      registers,
    }),
    misrouted: new Counter({
      name: 'interest_stream_ingest_misrouted_events_total',
      help: "Events whose key murmur2-hashes to another partition than the one they arrived on (a producer not using Kafka's default partitioner)",
      registers,
    }),
    shredded: new Counter({
      name: 'interest_stream_ingest_shredded_events_total',
      help: 'Sealed events skipped because their user key is gone (the user was erased; ERASURE_MODE=shred)',
      registers,
    }),
    committedOffset: new Gauge({
      name: 'interest_stream_ingest_committed_offset',
      help: 'Last committed offset per partition',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    staleDurableWrites: new Counter({
      name: 'interest_stream_ingest_stale_durable_writes_total',
      help: 'User states the durable store kept a newer record for (a paused or partition-less consumer writing late)',
      registers,
    }),
    droppedCommits: new Counter({
      name: 'interest_stream_ingest_dropped_commits_total',
      help: 'Offset commits dropped because the partition was no longer assigned to this process',
      registers,
    }),
    untrustedStates: new Counter({
      name: 'interest_stream_ingest_untrusted_states_total',
      help: 'Redis states this process had not written or verified since it connected to that Redis node, checked against the durable store',
      registers,
    }),
  };
}

/** A tiny HTTP server for /metrics and /healthz; port 0 picks a free one. */
export async function serveMetrics(registry: Registry, port: number, healthy: () => boolean): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (e: Error) => {
          res.writeHead(500);
          res.end(e.message);
        },
      );
    } else if (req.url === '/healthz') {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
