/** Impressions (IMPRESSIONS_TOPIC): what the query service served, for attribution (docs/api.md). */

/** One served answer, as written to the topic (docs/api.md, "Impressions"). */
export interface Impression {
  readonly impressionId: string;
  readonly userId: string;
  /** Epoch milliseconds. */
  readonly servedAt: number;
  readonly strategy: string;
  readonly bucket: string | null;
  readonly fallback: string | null;
  /** In the order served. */
  readonly items: ReadonlyArray<{ readonly id: string; readonly score: number }>;
}

/** Where impressions go; `record` never throws and never waits. */
export interface ImpressionSink {
  record(impression: Impression): void;
  close(): Promise<void>;
}
