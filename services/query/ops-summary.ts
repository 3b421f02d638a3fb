/**
 * GET /v1/ops/summary, behind the same API keys as every /v1 route: the numbers of the /ui operator
 * panel for the active generation — consumer lag from Kafka's committed offsets, how many events
 * the topic holds and how many are folded (the page turns their change into events/s), dead letters
 * by reason and the worst ingest process' freshness p99 (both from the ingest processes' ops hash).
 */
import type { ConsumerLag, OpsStats } from '../domain/ports/index.js';

export interface OpsSummary {
  readonly generation: string;
  readonly topic: string;
  readonly at: number;
  /** Events in the topic (end offsets summed) and events the ingest group has committed. */
  readonly events: { readonly published: number; readonly folded: number };
  readonly lag: { readonly total: number; readonly byPartition: ReadonlyArray<{ partition: number; lag: number }> };
  readonly deadLetters: Record<string, number>;
  /** Highest p99 over live ingest processes; null when none reported in the last 30 s. */
  readonly freshnessP99Ms: number | null;
}

export interface OpsSummaryDeps {
  /** The ingest group's lag over the interactions topic in a generation (Kafka's committed offsets). */
  readonly lag: (generation: string) => Promise<ConsumerLag>;
  /** Dead letters and freshness the ingest processes of a generation reported (their ops hash). */
  readonly stats: (generation: string, now: number) => Promise<OpsStats>;
  readonly topic: string;
  readonly activeGeneration: () => Promise<string>;
  readonly now?: () => number;
}

export class OpsSummarySource {
  constructor(private readonly deps: OpsSummaryDeps) {}

  async summary(): Promise<OpsSummary> {
    const { topic } = this.deps;
    const generation = await this.deps.activeGeneration();
    const now = (this.deps.now ?? Date.now)();
    const [lag, stats] = await Promise.all([this.deps.lag(generation), this.deps.stats(generation, now)]);
    return {
      generation,
      topic,
      at: now,
      events: { published: lag.end, folded: lag.end - lag.total },
      lag: { total: lag.total, byPartition: lag.byPartition.map((p) => ({ partition: p.partition, lag: p.lag })) },
      ...stats,
    };
  }
}
