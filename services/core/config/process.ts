import type { Reader } from './reader.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** What every process reads at its entry point: logging, tracing, and how long a shutdown may take. */
export interface ProcessSettings {
  /** LOG_LEVEL: pino level. Default `info`. */
  readonly logLevel: string;
  /** SHUTDOWN_GRACE_MS: how long SIGTERM waits for the current batch before exiting. Default 10000. */
  readonly shutdownGraceMs: number;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT: base URL of an OTLP/HTTP collector (spans go to `<url>/v1/traces`,
   * JSON). Unset (the default) turns tracing off: no SDK is loaded and no `traceparent` header is added.
   */
  readonly otlpEndpoint: string | undefined;
}

export function readProcessSettings(r: Reader): ProcessSettings {
  return {
    logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 10_000, 0),
    otlpEndpoint: otlpEndpoint(r),
  };
}

function otlpEndpoint(r: Reader): string | undefined {
  const raw = r.str('OTEL_EXPORTER_OTLP_ENDPOINT', '');
  if (raw === '') return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(raw)) r.problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT=${JSON.stringify(raw)}: must be an http:// or https:// URL`);
  return raw.replace(/\/+$/, '');
}
