import { DEFAULT_AFTER_WAIT_MS } from '../consistency-token.js';
import type { Reader } from './reader.js';

/** The query service's listeners and bounds. Who may call it, and how often: access.ts. */
export interface QuerySettings {
  /** QUERY_HTTP_PORT: port of the query service's HTTP API; 0 picks a free port. Default 8080. */
  readonly queryHttpPort: number;
  /** QUERY_GRPC_PORT: port of the query service's gRPC API; 0 picks a free port. Default 50051. */
  readonly queryGrpcPort: number;
  /** QUERY_MAX_IN_FLIGHT: requests in progress (HTTP and gRPC together) beyond which the query service answers 503 / UNAVAILABLE at once. Default 64. */
  readonly queryMaxInFlight: number;
  /** MAX_LIMIT: the largest `limit` a query may ask for. Default 200. */
  readonly maxLimit: number;
  /** PUBLISH_TIMEOUT_MS: how long the query service waits for Kafka to take an erasure before answering 503. Default 2000. */
  readonly publishTimeoutMs: number;
  /** HEALTH_MAX_WATCHERS: open gRPC Health/Watch streams beyond which new ones are refused (RESOURCE_EXHAUSTED). Default 100. */
  readonly healthMaxWatchers: number;
  /**
   * AFTER_WAIT_MS: how long a query with a consistency token (`?after=`, gRPC `after`) waits for
   * ingest to fold the token's events before answering with `freshness.caughtUp: false`
   * (services/query/read-your-writes.ts). Default 200.
   */
  readonly afterWaitMs: number;
}

export function readQuerySettings(r: Reader): QuerySettings {
  return {
    queryHttpPort: r.int('QUERY_HTTP_PORT', 8080, 0, 65_535),
    queryGrpcPort: r.int('QUERY_GRPC_PORT', 50051, 0, 65_535),
    queryMaxInFlight: r.int('QUERY_MAX_IN_FLIGHT', 64, 1, 100_000),
    maxLimit: r.int('MAX_LIMIT', 200, 1, 10_000),
    publishTimeoutMs: r.int('PUBLISH_TIMEOUT_MS', 2000, 1, 600_000),
    healthMaxWatchers: r.int('HEALTH_MAX_WATCHERS', 100, 0, 100_000),
    afterWaitMs: r.int('AFTER_WAIT_MS', DEFAULT_AFTER_WAIT_MS, 0, 60_000),
  };
}
