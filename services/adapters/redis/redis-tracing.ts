/**
 * A CLIENT span per Redis command sent while a span is active (the query service's request spans,
 * services/query/tracing.ts), so a slow request shows which command it waited on. Nothing is
 * wrapped when tracing is off.
 */
import { trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { tracer, tracingEnabled } from '../../core/tracing.js';
import type { RedisClient } from './redis-client.js';

interface CommandLike {
  readonly name: string;
  readonly promise: Promise<unknown>;
}

/** Wraps the client's sendCommand: each command's span covers its whole round trip. */
export function traceRedisCommands(redis: RedisClient): void {
  if (!tracingEnabled()) return;
  const target = redis as unknown as { sendCommand: (command: CommandLike, ...rest: unknown[]) => unknown };
  const send = target.sendCommand.bind(redis);
  target.sendCommand = (command, ...rest) => {
    if (trace.getActiveSpan() === undefined) return send(command, ...rest);
    const span = tracer().startSpan(`redis ${command.name}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis', 'db.operation.name': command.name } });
    const result = send(command, ...rest);
    command.promise.then(
      () => span.end(),
      (e: Error) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
        span.end();
      },
    );
    return result;
  };
}
