/** One view counted towards popularity (cold-start recommendations). */
export interface PopularityIncrement {
  readonly itemId: string;
  readonly weight: number;
  /** Epoch ms of the view; later views count more (exponential decay). */
  readonly at: number;
}

/** Time-decayed view counts per item, kept by ingest and read by the query service for cold start. */
export interface PopularityStore {
  record(increments: readonly PopularityIncrement[]): Promise<void>;
  /** Most popular items first, never returning an excluded id; scores are decayed counts as of `now`. */
  top(limit: number, options?: { excludeIds?: readonly string[]; now?: number }): Promise<Array<{ itemId: string; score: number }>>;
  /** Decayed counts as of `now` of the given items (0 for items never viewed), in order; for `strategy=hybrid`. */
  scores(itemIds: readonly string[], now?: number): Promise<number[]>;
  /** Forgets every count (tests, generation drops). */
  clear(): Promise<void>;
}
