import { Summary, type Counter, type Gauge, type Histogram, type Registry } from 'prom-client';
import { counter, defineAll, gauge, histogram, processRegistry, type Define } from '../core/metrics.js';

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
  readonly restoredEraseMarkers: Counter;
}

/** Every ingest metric, registered in this order (the order /metrics lists them in). */
const DEFINITIONS: { [K in Exclude<keyof IngestMetrics, 'registry'>]: Define<IngestMetrics[K]> } = {
  events: counter('interest_stream_ingest_events_total', 'Interaction events folded, by type and outcome (applied, duplicate, stale, degenerate)', ['type', 'outcome']),
  deadLetters: counter('interest_stream_ingest_dead_letters_total', 'Messages sent to the dead-letter topic, by reason (error code)', ['reason']),
  batchSize: histogram('interest_stream_ingest_batch_size', 'Messages per processed batch', [1, 10, 50, 100, 500, 1000, 5000, 10000, 50000]),
  foldSeconds: histogram(
    'interest_stream_ingest_batch_seconds',
    'Time to fold and store one batch (decode, state load, fold, Redis, durable store, DLQ)',
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ),
  lag: gauge('interest_stream_ingest_consumer_lag', 'Messages behind the partition high watermark when the last batch was fetched', ['topic', 'partition']),
  casConflicts: counter('interest_stream_ingest_cas_conflicts_total', 'User states re-read because another writer changed them (rebalances, zombies)'),
  rehydrated: counter('interest_stream_ingest_rehydrated_total', 'User states missing from Redis and loaded from the durable store'),
  durableWrites: histogram(
    'interest_stream_ingest_durable_write_seconds',
    'Time of one coalesced write of user states to the durable users collection',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ),
  historyRecords: counter('interest_stream_ingest_history_records_total', 'Interest snapshots ingest sent for event-time windows that closed inside a batch'),
  // A sliding-window summary, not a histogram: operators (and the /ui operator panel) read the
  // current p99 straight from it, and alerts need no histogram_quantile over many buckets.
  freshness: (registers) =>
    new Summary({
      name: 'interest_stream_ingest_freshness_seconds',
      help: 'Per batch, time from its oldest event being appended to Kafka until its fold is in Redis (what queries read), over the last minute',
      percentiles: [0.5, 0.99],
      maxAgeSeconds: 60,
      ageBuckets: 6,
      registers,
    }),
  corruptStates: counter(
    'interest_stream_ingest_corrupt_states_total',
    'Stored user states that could not be decoded and were replaced (redis: from the durable store; durable: reset)',
    ['source'],
  ),
  pendingStates: gauge('interest_stream_ingest_pending_states', 'User states folded into Redis and waiting for (or in) their durable write'),
  pendingBytes: gauge('interest_stream_ingest_pending_bytes', 'Estimated heap bytes of the states waiting for their durable write (INGEST_MAX_PENDING_BYTES caps it)'),
  pausedSeconds: counter('interest_stream_ingest_paused_seconds_total', 'Time fetching was paused because the durable writer was behind (back-pressure)'),
  pauses: counter('interest_stream_ingest_pauses_total', 'Times fetching was paused because the durable writer was behind (back-pressure)'),
  parkedEvents: gauge('interest_stream_ingest_parked_events', 'Events waiting for their catalogue item (UNKNOWN_ITEM_PARK_MS) before they fold or go to the DLQ'),
  misrouted: counter(
    'interest_stream_ingest_misrouted_events_total',
    "Events whose key murmur2-hashes to another partition than the one they arrived on (a producer not using Kafka's default partitioner)",
  ),
  shredded: counter('interest_stream_ingest_shredded_events_total', 'Sealed events skipped because their user key is gone (the user was erased; ERASURE_MODE=shred)'),
  committedOffset: gauge('interest_stream_ingest_committed_offset', 'Last committed offset per partition', ['topic', 'partition']),
  staleDurableWrites: counter(
    'interest_stream_ingest_stale_durable_writes_total',
    'User states the durable store kept a newer record for (a paused or partition-less consumer writing late)',
  ),
  droppedCommits: counter('interest_stream_ingest_dropped_commits_total', 'Offset commits dropped because the partition was no longer assigned to this process'),
  restoredEraseMarkers: counter(
    'interest_stream_ingest_erase_markers_restored_total',
    'Erase markers Redis no longer held, read from the durable store and put back (Redis lost data: a restart without persistence, a failover)',
  ),
  untrustedStates: counter(
    'interest_stream_ingest_untrusted_states_total',
    'Redis states this process had not written or verified since it connected to that Redis node, checked against the durable store',
  ),
};

export function createIngestMetrics(opts: { defaultMetrics?: boolean } = {}): IngestMetrics {
  const registry = processRegistry(opts);
  return { registry, ...defineAll<Omit<IngestMetrics, 'registry'>>(registry, DEFINITIONS) };
}
