import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The query service's metrics, in a registry of its own (several services may share a process in tests). */
export interface QueryMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly grpcRequests: Counter<'method' | 'code'>;
  readonly grpcDuration: Histogram<'method' | 'code'>;
  /** Recommendation answers by the strategy asked for and what answered instead (fallback `none` when it answered itself). */
  readonly strategyAnswers: Counter<'strategy' | 'fallback'>;
  /** Impressions written to IMPRESSIONS_TOPIC, failed, or dropped because too many were in flight. */
  readonly impressions: Counter<'outcome'>;
  /** The embedded store's ANN index starts: loaded or patched from the saved index, or built (the log line says why). */
  readonly annIndexStarts: Counter<'outcome'>;
  readonly ready: Gauge;
  /** 1 while the shared rate limiter (Redis) cannot answer and this replica charges its own budget. */
  readonly rateLimiterDegraded: Gauge;
}

const BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** `isReady` answers the readiness checks; it runs at each scrape, so alerts see what /readyz would say. */
export function createQueryMetrics(isReady: () => Promise<boolean> = async () => true): QueryMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({ name: 'query_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'query_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
      registers: [registry],
    }),
    grpcRequests: new Counter({ name: 'query_grpc_requests_total', help: 'gRPC calls by method and status code', labelNames: ['method', 'code'], registers: [registry] }),
    grpcDuration: new Histogram({ name: 'query_grpc_request_duration_seconds', help: 'gRPC call latency by method and status code', labelNames: ['method', 'code'], buckets: BUCKETS, registers: [registry] }),
    strategyAnswers: new Counter({
      name: 'query_strategy_answers_total',
      help: 'Recommendations by strategy and fallback (none, cold_start, insufficient_history): the trend fallback rate is its share of insufficient_history',
      labelNames: ['strategy', 'fallback'],
      registers: [registry],
    }),
    impressions: new Counter({ name: 'query_impressions_total', help: 'Impressions by outcome (sent, failed, dropped)', labelNames: ['outcome'], registers: [registry] }),
    annIndexStarts: new Counter({
      name: 'query_ann_index_starts_total',
      help: "Embedded store ANN index starts by outcome: loaded (the saved index), patched (it plus rows changed since), built (no usable saved index; the log says why)",
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rateLimiterDegraded: new Gauge({
      name: 'query_rate_limiter_degraded',
      help: '1 while Redis cannot answer the rate limiter and this replica charges a budget of its own (N replicas then allow up to N budgets)',
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'query_ready',
      help: '1 when every readiness check (producer, Redis, vector store) passes, 0 otherwise',
      registers: [registry],
      async collect() {
        this.set((await isReady()) ? 1 : 0);
      },
    }),
  };
}
