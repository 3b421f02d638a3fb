import type * as grpc from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Readiness } from './readiness.js';

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
interface CheckRequest {
  service: string;
}
interface CheckResponse {
  status: ServingStatus;
}
type Watcher = grpc.ServerWritableStream<CheckRequest, CheckResponse>;

export interface GrpcHealthOptions {
  /** How often the one shared loop re-checks readiness while any Watch stream is open. */
  readonly watchIntervalMs?: number;
  /** Open Watch streams beyond which new ones are refused with RESOURCE_EXHAUSTED. */
  readonly maxWatchers?: number | undefined;
}

/**
 * The standard grpc.health.v1 service. SERVING means ready (dependencies reachable, not draining),
 * the same answer as HTTP /readyz, from the same cached probe. All Watch streams share one loop
 * (not one timer per stream, which would let clients multiply the probes) and their number is
 * capped; `close()` ends them, because the server's graceful shutdown waits for every open call.
 */
export class GrpcHealth {
  private readonly watchers = new Map<Watcher, ServingStatus | undefined>();
  private readonly intervalMs: number;
  private readonly maxWatchers: number;
  private timer: NodeJS.Timeout | undefined;
  private lastStatus: ServingStatus | undefined;

  constructor(
    private readonly readiness: Readiness,
    private readonly services: readonly string[],
    options: GrpcHealthOptions = {},
  ) {
    this.intervalMs = options.watchIntervalMs ?? 5000;
    this.maxWatchers = options.maxWatchers ?? 100;
  }

  /** Streams open now (tests, metrics). */
  get watching(): number {
    return this.watchers.size;
  }

  private async status(): Promise<ServingStatus> {
    return (await this.readiness.check()).ready ? 'SERVING' : 'NOT_SERVING';
  }

  private known(service: string): boolean {
    return service === '' || this.services.includes(service);
  }

  // One readiness check for all streams; each stream hears only changes.
  private tick(): void {
    void this.status()
      .catch((): ServingStatus => 'NOT_SERVING')
      .then((s) => {
        this.lastStatus = s;
        for (const [call, last] of this.watchers) {
          if (s === last || call.cancelled) continue;
          call.write({ status: s });
          this.watchers.set(call, s);
        }
      });
  }

  private watch(call: Watcher): void {
    if (this.watchers.size >= this.maxWatchers) {
      call.emit('error', { code: GrpcStatus.RESOURCE_EXHAUSTED, details: `too many health Watch streams (at most ${this.maxWatchers})` });
      return;
    }
    this.watchers.set(call, undefined);
    const forget = (): void => {
      this.watchers.delete(call);
      if (this.watchers.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.lastStatus = undefined;
      }
    };
    call.on('cancelled', forget);
    call.on('finish', forget);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.tick();
    } else if (this.lastStatus !== undefined) {
      // The loop is running: a new stream starts from its last answer instead of probing again.
      call.write({ status: this.lastStatus });
      this.watchers.set(call, this.lastStatus);
    }
  }

  readonly implementation: grpc.UntypedServiceImplementation = {
    Check: (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) => {
      if (!this.known(call.request.service)) {
        callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        return;
      }
      this.status().then((status) => callback(null, { status }), () => callback(null, { status: 'NOT_SERVING' }));
    },
    Watch: (call: Watcher) => {
      if (!this.known(call.request.service)) {
        call.write({ status: 'SERVICE_UNKNOWN' });
        return;
      }
      this.watch(call);
    },
  };

  /** Tells watchers the service is going away and ends their streams. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const call of [...this.watchers.keys()]) {
      call.write({ status: 'NOT_SERVING' });
      call.end();
    }
    this.watchers.clear();
  }
}
