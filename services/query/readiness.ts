import type { Logger } from '../core/logger.js';
import type { ReadinessProbe } from '../domain/ports/index.js';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly draining: boolean;
  /** Per dependency: "ok", "unreachable" or "timeout" (details go to the log, not to callers). */
  readonly checks: Record<string, string>;
}

/**
 * Readiness = not shutting down and every dependency answering within `timeoutMs`. Shutdown flips
 * `draining` first, so load balancers stop sending traffic before the servers stop accepting it.
 *
 * The probes run at most once per `minIntervalMs` whatever the request rate: /readyz and gRPC
 * health are public, and each probe touches Kafka, Redis and the vector store, so without the
 * cache anyone could turn probes into load on every backend.
 */
export class Readiness {
  private drainingNow = false;
  private last: { readonly at: number; readonly checks: Promise<Record<string, string>> } | undefined;

  constructor(
    private readonly probes: readonly ReadinessProbe[],
    private readonly logger: Logger,
    private readonly timeoutMs = 2000,
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  get draining(): boolean {
    return this.drainingNow;
  }

  beginDrain(): void {
    this.drainingNow = true;
  }

  async check(): Promise<ReadinessReport> {
    const now = this.now();
    if (this.last === undefined || now - this.last.at >= this.minIntervalMs) this.last = { at: now, checks: this.probeAll() };
    const checks = await this.last.checks;
    const ready = !this.drainingNow && Object.values(checks).every((r) => r === 'ok');
    return { ready, draining: this.drainingNow, checks };
  }

  private async probeAll(): Promise<Record<string, string>> {
    const results = await Promise.all(this.probes.map(async (p) => [p.name, await this.run(p)] as const));
    return Object.fromEntries(results);
  }

  private async run(probe: ReadinessProbe): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      return await Promise.race([probe.check().then(() => 'ok'), timeout]);
    } catch (e) {
      this.logger.warn({ dependency: probe.name, err: e instanceof Error ? e.message : String(e) }, 'readiness probe failed');
      return 'unreachable';
    } finally {
      clearTimeout(timer);
    }
  }
}
