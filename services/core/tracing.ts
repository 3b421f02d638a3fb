/**
 * OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, nothing is loaded
 * beyond @opentelemetry/api, no header is added to Kafka records, and every helper here returns
 * after one boolean check: tracing costs nothing unless asked for.
 */
import { context, propagation, trace, ROOT_CONTEXT, SpanStatusCode, type Link, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

let enabled = false;

export function tracingEnabled(): boolean {
  return enabled;
}

export function tracer(): Tracer {
  return trace.getTracer('interest-stream');
}

/**
 * Starts exporting spans of `serviceName` as OTLP/HTTP JSON to `<endpoint>/v1/traces`, with W3C
 * trace-context propagation and async-local context. Returns a function that flushes and stops.
 */
export async function startTracing(endpoint: string | undefined, serviceName: string): Promise<() => Promise<void>> {
  if (endpoint === undefined || enabled) return async () => {};
  const [{ TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }), scheduledDelayMillis: 1000 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  return async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
    enabled = false;
  };
}

/**
 * Runs `fn` inside a new active span (ended when `fn` settles, marked as an error when it throws).
 * `options` is only evaluated when tracing is on, so callers may compute links there.
 */
export function inSpan<T>(name: string, options: () => SpanOptions, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  // Not an async function: off, the wrapped call's own promise is returned, with no extra tick.
  if (!enabled) return fn(undefined);
  return tracer().startActiveSpan(name, options(), async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  });
}

/** The active span's W3C trace context (`traceparent`) as Kafka record headers; undefined when off. */
export function traceHeaders(): Record<string, string> | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

const MAX_LINKS = 128;

function headerText(headers: IHeaders, key: string): string | undefined {
  const v = headers[key];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

/** Links to the producer spans named by the records' `traceparent` headers: distinct, at most 128. */
export function linksFromHeaders(records: Iterable<{ headers?: IHeaders | undefined }>): Link[] {
  const links = new Map<string, Link>();
  for (const r of records) {
    if (!r.headers || links.size >= MAX_LINKS) continue;
    const headers = r.headers;
    const ctx = propagation.extract(ROOT_CONTEXT, headers, { get: (_c, k) => headerText(headers, k), keys: () => Object.keys(headers) });
    const sc = trace.getSpanContext(ctx);
    if (sc && trace.isSpanContextValid(sc)) links.set(`${sc.traceId}/${sc.spanId}`, { context: sc });
  }
  return [...links.values()];
}
