/**
 * The gRPC transport (schemas/proto/recommendations.proto) over the same use cases, validation and
 * error mapping as HTTP, so both answer the same request with the same result.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { ApiScope } from '../core/api-keys.js';
import type { Logger } from '../core/logger.js';
import type { AccessGuard } from './access.js';
import { toApiError } from './api-errors.js';
import { parseFilterSyntax } from './filter-syntax.js';
import { GrpcHealth } from './grpc-health.js';
import { loadProtos, RECOMMENDATIONS_SERVICE } from './grpc-protos.js';
import type { QueryMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import type { UserHistory } from './history.js';
import type { ErasureReceipt, Freshness, InterestSummary, QueryUseCases, Recommendations, Requester, ResultItem } from './use-cases.js';
import { parseAfter, parseErasureId, parseExclude, parseHistoryLimit, parseId, parseLimit, type Limits } from './validation.js';
import type { ErasureStatus } from '../domain/ports/index.js';
import { parseDiversity, parseStrategyChoice } from './quality-params.js';
import { renderBecause, renderQuality } from './grpc-quality.js';

export interface GrpcDeps {
  readonly useCases: QueryUseCases;
  readonly guard: AccessGuard;
  readonly metrics: QueryMetrics;
  readonly readiness: Readiness;
  readonly limits: Limits;
  readonly logger: Logger;
  /** Open grpc.health.v1 Watch streams beyond which new ones are refused. */
  readonly healthMaxWatchers?: number;
}

interface EraseRequest {
  user_id: string;
}
interface RecommendRequest {
  user_id: string;
  limit: number;
  strategy: string;
  exclude: string[];
  filter: string;
  diversity: number;
  explain: boolean;
  after: string;
}
interface GetInterestRequest {
  user_id: string;
  include_vector: boolean;
  after: string;
}
interface GetHistoryRequest {
  user_id: string;
  limit: number;
  include_vector: boolean;
}
interface SimilarItemsRequest {
  item_id: string;
  limit: number;
  filter: string;
}

/** The caller's address without its port, written like Fastify's `req.ip`, so both transports share one budget. */
export function peerAddress(peer: string): string {
  const hostPort = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[(.*)\]:\d+$/.exec(hostPort);
  if (bracketed) return bracketed[1]!;
  return hostPort.replace(/:\d+$/, '');
}

const optional = (s: string): string | undefined => (s === '' ? undefined : s);
const limitOf = (n: number): number | undefined => (n === 0 ? undefined : n);

function renderItems(items: readonly ResultItem[]): Array<{ id: string; score: number; payload_json: string }> {
  return items.map((i) => ({ id: i.id, score: i.score, payload_json: JSON.stringify(i.payload), because: renderBecause(i), ...(i.interest === undefined ? {} : { interest: i.interest }) }));
}

// proto3 `optional`: caught_up is unset without `after`, so false stays distinguishable from not asked.
function renderFreshness(f: Freshness): object {
  return { event_count: f.eventCount, updated_at: f.updatedAt ?? 0, ...(f.caughtUp === undefined ? {} : { caught_up: f.caughtUp }) };
}

function renderRecommendations(r: Recommendations): object {
  return {
    user_id: r.userId,
    strategy: r.strategy,
    fallback: r.fallback ?? '',
    items: renderItems(r.items),
    freshness: renderFreshness(r.freshness),
    ...renderQuality(r),
  };
}

function renderInterest(s: InterestSummary): object {
  return {
    user_id: s.userId,
    source: s.source,
    has_vector: s.hasVector,
    dimension: s.dimension ?? 0,
    event_count: s.eventCount,
    updated_at: s.updatedAt ?? 0,
    recent_views: s.recentViews,
    seen_count: s.seenCount,
    disliked_count: s.dislikedCount,
    degenerate_updates: s.degenerateUpdates,
    interests: s.interests,
    vector: s.vector ?? [],
    ...(s.freshness ? { freshness: renderFreshness(s.freshness) } : {}),
  };
}

// proto3 `optional` fields are left unset for null, so a drift of 0 stays distinguishable from none.
function renderHistory(h: UserHistory): object {
  return {
    user_id: h.userId,
    generation: h.generation,
    snapshots: h.snapshots.map((s) => ({ window: s.window, taken_at: s.takenAt, event_count: s.eventCount, watermark: s.watermark, vector: s.vector ?? [] })),
    ...(h.drift === null ? {} : { drift: h.drift }),
    trend: h.trend === null ? null : { windows_used: h.trend.windowsUsed, drift: h.trend.drift },
  };
}

function renderErasure(r: ErasureReceipt): object {
  const purged = { redis: r.purged.redis, durable: r.purged.durable, history_snapshots: r.purged.historySnapshots };
  return { user_id: r.userId, event_id: r.eventId, purged, erasure_id: r.erasureId, requested_at: r.requestedAt };
}

function renderErasureStatus(s: ErasureStatus): object {
  return { erasure_id: s.erasureId, status: s.status, requested_at: s.requestedAt, folded_at: s.foldedAt ?? 0, completed_at: s.completedAt ?? 0 };
}

class GrpcTransport {
  constructor(private readonly deps: GrpcDeps) {}

  /**
   * Wraps a handler with the access guard (the call needs a key of `scope`), error mapping and
   * metrics. Every call gets a request id: in the `request-id` trailer and in the log of a failure.
   */
  unary<Req>(method: string, scope: ApiScope, handler: (req: Req, requester: Requester) => Promise<object>): grpc.handleUnaryCall<Req, object> {
    return (call, callback) => {
      const requestId = randomUUID();
      const start = process.hrtime.bigint();
      const done = (code: grpc.status): void => {
        const labels = { method, code: grpc.status[code] ?? String(code) };
        this.deps.metrics.grpcRequests.inc(labels);
        this.deps.metrics.grpcDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
      };
      const auth = call.metadata.get('authorization')[0];
      let leave = (): void => {};
      this.deps.guard
        .admit(typeof auth === 'string' ? auth : undefined, peerAddress(call.getPeer()), scope)
        .then((caller) => {
          leave = this.deps.guard.enter();
          return handler(call.request, { keyId: caller.keyId, requestId });
        })
        .finally(() => leave())
        .then(
          (res) => {
            done(grpc.status.OK);
            callback(null, res);
          },
          (e: unknown) => {
            const err = toApiError(e);
            if (err.serverFault) this.deps.logger.error({ err: e, method, requestId }, 'gRPC call failed');
            const trailers = new grpc.Metadata();
            trailers.set('request-id', requestId);
            if (err.field !== undefined) trailers.set('error-field', err.field);
            if (err.retryAfterMs !== undefined) trailers.set('retry-after-ms', String(err.retryAfterMs));
            done(err.grpcStatus);
            callback({ code: err.grpcStatus, details: err.message, metadata: trailers });
          },
        );
    };
  }

  implementation(): grpc.UntypedServiceImplementation {
    const { useCases } = this.deps;
    const { maxLimit, historySize } = this.deps.limits;
    return {
      Recommend: this.unary<RecommendRequest>('Recommend', 'read', async (r) =>
        renderRecommendations(
          await useCases.recommend({
            userId: parseId('userId', r.user_id),
            limit: parseLimit(limitOf(r.limit), maxLimit),
            strategy: parseStrategyChoice(optional(r.strategy)),
            exclude: parseExclude(r.exclude.length === 0 ? undefined : r.exclude),
            filter: parseFilterSyntax(optional(r.filter)),
            diversity: parseDiversity(r.diversity),
            explain: r.explain,
            after: parseAfter(optional(r.after)),
          }),
        ),
      ),
      GetInterest: this.unary<GetInterestRequest>('GetInterest', 'read', async (r) =>
        renderInterest(await useCases.interest({ userId: parseId('userId', r.user_id), includeVector: r.include_vector, after: parseAfter(optional(r.after)) })),
      ),
      GetHistory: this.unary<GetHistoryRequest>('GetHistory', 'read', async (r) =>
        renderHistory(
          await useCases.history({ userId: parseId('userId', r.user_id), limit: parseHistoryLimit(limitOf(r.limit), historySize), includeVector: r.include_vector }),
        ),
      ),
      SimilarItems: this.unary<SimilarItemsRequest>('SimilarItems', 'read', async (r) => {
        const itemId = parseId('itemId', r.item_id);
        const items = await useCases.similar({ itemId, limit: parseLimit(limitOf(r.limit), maxLimit), filter: parseFilterSyntax(optional(r.filter)) });
        return { item_id: itemId, items: renderItems(items) };
      }),
      Erase: this.unary<EraseRequest>('Erase', 'erase', async (r, requester) => renderErasure(await useCases.erase(parseId('userId', r.user_id), requester))),
      GetErasure: this.unary<{ erasure_id: string }>('GetErasure', 'read', async (r) => renderErasureStatus(await useCases.erasure(parseErasureId(r.erasure_id)))),
    };
  }
}

export interface GrpcServer {
  readonly server: grpc.Server;
  readonly health: GrpcHealth;
}

/** Builds the gRPC server with the Recommendations and grpc.health.v1 services (not yet bound). */
export function buildGrpcServer(deps: GrpcDeps): GrpcServer {
  const protos = loadProtos();
  const server = new grpc.Server();
  const health = new GrpcHealth(deps.readiness, [RECOMMENDATIONS_SERVICE], { maxWatchers: deps.healthMaxWatchers });
  server.addService(protos.recommendations.service, new GrpcTransport(deps).implementation());
  server.addService(protos.health.service, health.implementation);
  return { server, health };
}

/**
 * Binds on all interfaces without TLS (terminate TLS at the load balancer or mesh) and resolves to
 * the port actually bound (port 0 picks a free one).
 */
export function bindGrpc(server: grpc.Server, port: number, host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

/** Stops taking calls, waits up to `graceMs` for running ones, then cuts the rest. */
export function shutdownGrpc(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
