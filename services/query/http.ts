/**
 * The HTTP transport (Fastify): operational routes, the OpenAPI document, and the /v1 routes behind
 * the access guard. Errors render as `{error: {code, message, field?, requestId?}}` and never carry
 * a stack.
 *
 * The access decision is taken on the route the router matched, never on the raw URL: the router
 * decodes `%76`, accepts absolute-form targets and more, so any test of the URL text can be spelled
 * around. Routes marked `config: { public: true }` are open; everything else, including requests no
 * route matches, goes through the guard.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import type { ApiScope } from '../core/api-keys.js';
import type { AccessGuard, Caller } from './access.js';
import { apiError, errorBody, toApiError, type ApiError } from './api-errors.js';
import { registerV1Routes } from './http-routes.js';
import { knowAllMethods, rejectOtherMethods } from './method-not-allowed.js';
import type { QueryMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import { registerUi, type UiDeps } from './ui.js';
import { registerRequestSpans } from './tracing.js';
import type { QueryUseCases } from './use-cases.js';
import type { Limits } from './validation.js';

export interface HttpDeps {
  readonly useCases: QueryUseCases;
  readonly guard: AccessGuard;
  readonly metrics: QueryMetrics;
  readonly readiness: Readiness;
  readonly openApi: object;
  readonly limits: Limits;
  readonly logger: Logger;
  /** Fastify's `trustProxy` (config TRUST_PROXY): decides `req.ip`, which per-address limits key on. */
  readonly trustProxy?: boolean | number | string;
  /** The /ui page and its two reads (registered from ui.ts). */
  readonly ui?: UiDeps;
}

/** What a route declares about access: `public` routes skip the guard; `scope` is what a key needs (default read). */
export interface RouteAccess {
  readonly public?: boolean;
  readonly scope?: ApiScope;
}

// Percent-encoded, an id of 256 characters can be 256 × 12 characters long (4-byte UTF-8 code points);
// the id rule, not the router, decides what is too long, so that the answer is a 400 naming the field.
const MAX_PARAM_LENGTH = 256 * 12;
// Node counts the request line towards its 16 KiB header limit; a URL the document allows (an id and
// a 2000-character filter of 4-byte characters, percent-encoded) can be ~28 KB, which must not be 431.
const MAX_HEADER_BYTES = 64 * 1024;

const START = Symbol('startNs');
type Timed = FastifyRequest & { [START]?: bigint };

function send(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
  return reply.code(err.httpStatus).type('application/json').send(errorBody(err, reply.request.id));
}

/** Fastify's own failures (bad JSON body, wrong content type, ...) are client errors with safe messages. */
function classify(e: unknown): ApiError {
  const status = (e as { statusCode?: unknown }).statusCode;
  const api = toApiError(e);
  if (api.code === 'INTERNAL' && typeof status === 'number' && status >= 400 && status < 500 && e instanceof Error) {
    return apiError('INVALID_INPUT', e.message);
  }
  return api;
}

function instrument(app: FastifyInstance, metrics: QueryMetrics): void {
  app.addHook('onRequest', async (req: Timed) => {
    req[START] = process.hrtime.bigint();
  });
  app.addHook('onResponse', async (req: Timed, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    const start = req[START];
    if (start !== undefined) metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
  });
}

function registerOpsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const config: RouteAccess = { public: true };
  app.get('/healthz', { config }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config }, async (_req, reply) => {
    const report = await deps.readiness.check();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get('/metrics', { config }, async (_req, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));
  app.get('/openapi.json', { config }, async () => deps.openApi);
  for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) rejectOtherMethods(app, url, ['GET', 'HEAD'], config);
}

/** Builds the HTTP server (not yet listening). */
export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  // pino's Logger and Fastify's logger type differ only in generics; the instance is the same pino.
  const loggerInstance = deps.logger.child({ component: 'http' }) as FastifyBaseLogger;
  const app: FastifyInstance = Fastify({
    loggerInstance,
    disableRequestLogging: true,
    return503OnClosing: true,
    trustProxy: deps.trustProxy ?? false,
    genReqId: () => randomUUID(),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    http: { maxHeaderSize: MAX_HEADER_BYTES },
  });
  knowAllMethods(app);
  instrument(app, deps.metrics);
  const callers = new WeakMap<FastifyRequest, Caller>();
  registerRequestSpans(app);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const access = req.routeOptions.config as RouteAccess;
    if (access.public === true) return;
    try {
      callers.set(req, await deps.guard.admit(req.headers.authorization, req.ip, access.scope ?? 'read'));
      // The place is given back when the response is finished or the connection dropped.
      reply.raw.once('close', deps.guard.enter());
    } catch (e) {
      return send(reply, classify(e));
    }
  });
  app.setErrorHandler((e, req, reply) => {
    const err = classify(e);
    if (err.serverFault) req.log.error({ err: e, route: req.routeOptions.url, requestId: req.id }, 'request failed');
    return send(reply, err);
  });
  app.setNotFoundHandler((req, reply) => send(reply, apiError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));
  registerOpsRoutes(app, deps);
  registerV1Routes(app, deps.useCases, deps.limits, (req) => ({ keyId: callers.get(req)?.keyId, requestId: req.id }));
  if (deps.ui) registerUi(app, deps.ui);
  return app;
}

/**
 * Stops accepting, lets in-flight requests finish, then closes. Keep-alive connections that were
 * busy when closing began would otherwise linger for the whole keep-alive timeout (72 s in Fastify),
 * so idle ones are reaped as they go idle, and everything still open after `graceMs` is cut.
 */
export async function shutdownHttp(app: FastifyInstance, graceMs: number): Promise<void> {
  const reap = setInterval(() => app.server.closeIdleConnections(), 50);
  const force = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearInterval(reap);
    clearTimeout(force);
  }
}
