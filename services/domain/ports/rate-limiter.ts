/** The outcome of asking for one request's worth of quota. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Requests still allowed right now (0 when refused). */
  readonly remaining: number;
  /** When refused: how long until one request is allowed again. */
  readonly retryAfterMs: number;
}

/**
 * Request quotas: one token bucket per `bucket` name holding up to `perMinute` tokens, refilled
 * continuously. The query service's HTTP and gRPC share it, so a client cannot double its rate by
 * switching transport, and so do its replicas (the Redis adapter).
 */
export interface RateLimiter {
  take(bucket: string, perMinute: number): Promise<RateDecision>;
}
