/**
 * The query service's spans, when tracing is on: one SERVER span per HTTP request (named by route),
 * with CLIENT child spans for every vector-store call made while serving it (Redis commands get
 * theirs from adapters/redis/redis-tracing.ts).
 * Nothing is registered or wrapped when tracing is off.
 */
import { context, trace, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracer, tracingEnabled } from '../core/tracing.js';

const SPAN = Symbol('span');
type Traced = FastifyRequest & { [SPAN]?: Span };

export function registerRequestSpans(app: FastifyInstance): void {
  if (!tracingEnabled()) return;
  app.addHook('onRequest', (req: Traced, _reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const span = tracer().startSpan(`${req.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route } });
    req[SPAN] = span;
    // The handler runs inside this context, so what it calls becomes the span's children.
    context.with(trace.setSpan(context.active(), span), done);
  });
  app.addHook('onResponse', async (req: Traced, reply) => {
    const span = req[SPAN];
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}

/** The same store, with a CLIENT span around every method call that returns a promise. */
export function tracedVectorStore<T extends object>(store: T): T {
  if (!tracingEnabled()) return store;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        const span = tracer().startSpan(`vectorStore.${prop}`, { kind: SpanKind.CLIENT });
        return result.then(
          (v: unknown) => {
            span.end();
            return v;
          },
          (e: Error) => {
            span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
            span.end();
            throw e;
          },
        );
      };
    },
  });
}
