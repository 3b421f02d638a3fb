import type { Logger } from './logger.js';

/**
 * Process lifecycle, one way for every process (query, ingest, snapshotter, the CLI): what a
 * composition root starts it registers on a `Closers` stack, closed in reverse start order; one
 * `SignalTrap` per process turns SIGTERM/SIGINT into that close, bounded by a grace period.
 */

/** Closes one started thing (a client, a consumer, a server). */
export type Closer = () => Promise<unknown>;

/**
 * What was started, closed last-started first. A closer that fails is logged and the rest still
 * run: a broken Redis connection must not keep the consumer group joined.
 */
export class Closers {
  private readonly stack: Closer[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  add(close: Closer): void {
    this.stack.push(close);
  }

  /** Closes everything registered, in reverse order of registration. Idempotent: later calls get the first call's promise. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const close of [...this.stack].reverse()) {
        await close().catch((err: unknown) => this.log.warn({ err }, 'error while closing'));
      }
    })();
    return this.closing;
  }

  /** Runs a start-up; if it fails, closes what it had started and rethrows. */
  async starting<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (e) {
      await this.close();
      throw e;
    }
  }
}

/** The part of `process` the trap uses (a fake in tests). */
export interface ProcessSignals {
  on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  exit(code: number): void;
}

/** How long a signal waits for the close when no service has said otherwise (ms). */
export const DEFAULT_GRACE_MS = 10_000;

const installed = new WeakMap<ProcessSignals, SignalTrap>();

/**
 * SIGTERM/SIGINT for a long-running process, installed before the service starts: a signal that
 * arrives during start-up is acted on as soon as the service can be closed, and a close (or a
 * start-up) that does not finish within the grace period is abandoned: the process exits 1 and says so.
 */
export class SignalTrap {
  private close: (() => Promise<void>) | undefined;
  private signal: string | undefined;
  private graceMs = DEFAULT_GRACE_MS;

  private constructor(
    private readonly logger: Logger,
    private readonly proc: ProcessSignals,
    private readonly afterClose: () => Promise<void>,
  ) {
    proc.on('SIGTERM', () => this.onSignal('SIGTERM'));
    proc.on('SIGINT', () => this.onSignal('SIGINT'));
  }

  /**
   * The process's trap, installed on its first call; later calls return the same trap (their
   * arguments are ignored), so no signal is ever handled twice. `afterClose` runs once the service
   * closed (e.g. flushes spans).
   */
  static install(logger: Logger, afterClose: () => Promise<void> = async () => {}, proc: ProcessSignals = process): SignalTrap {
    let trap = installed.get(proc);
    if (!trap) {
      trap = new SignalTrap(logger, proc, afterClose);
      installed.set(proc, trap);
    }
    return trap;
  }

  /** The service is up: a signal now runs `close`, within `graceMs`; the process then exits 0, or 1 if the close failed. */
  serve(close: () => Promise<void>, graceMs: number): void {
    this.close = close;
    this.graceMs = graceMs;
    if (this.signal !== undefined) this.stop(close);
  }

  private onSignal(signal: string): void {
    if (this.signal !== undefined) return;
    this.signal = signal;
    this.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      this.logger.error({ graceMs: this.graceMs }, 'shutdown grace period over; exiting');
      this.proc.exit(1);
    }, this.graceMs);
    timer.unref();
    if (this.close) this.stop(this.close);
  }

  private stop(close: () => Promise<void>): void {
    close()
      .then(this.afterClose)
      .then(
        () => this.proc.exit(0),
        (err: unknown) => {
          this.logger.error({ err }, 'error during shutdown');
          this.proc.exit(1);
        },
      );
  }
}
