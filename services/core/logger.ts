import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * One root logger per process. Vectors and credentials are never logged: the redaction list is a
 * last line of defence for fields that carry them, not a licence to pass them in.
 */
export function createRootLogger(opts: { level: string; name: string }, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    name: opts.name,
    level: opts.level,
    redact: {
      paths: ['vector', '*.vector', 'password', '*.password', 'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
    base: { pid: process.pid },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing, for tests and library callers that bring no logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
