/** What the operator panel (GET /v1/ops/summary) reads: consumer lag and the ingest processes' reports. */

/** How far the ingest group is behind the interactions topic, from its committed offsets. */
export interface ConsumerLag {
  /** Messages not yet committed by the group, over all partitions. */
  readonly total: number;
  /** End offsets summed over partitions (how far the topic reaches). */
  readonly end: number;
  readonly byPartition: ReadonlyArray<{ partition: number; committed: number; end: number; lag: number }>;
}

/** Dead letters and freshness the ingest processes of a generation reported. */
export interface OpsStats {
  readonly deadLetters: Record<string, number>;
  /** Highest p99 over live ingest processes; null when none reported in the last 30 s. */
  readonly freshnessP99Ms: number | null;
}
