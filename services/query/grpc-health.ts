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

/**
 * The standard grpc.health.v1 service. SERVING means ready (dependencies reachable, not draining),
 * the same answer as HTTP /readyz. Watch streams re-check every `watchIntervalMs` and send changes;
 * `close()` ends them, because the server's graceful shutdown waits for every open call.
 */
export class GrpcHealth {
  private readonly watchers = new Set<grpc.ServerWritableStream<CheckRequest, CheckResponse>>();

  constructor(
    private readonly readiness: Readiness,
    private readonly services: readonly string[],
    private readonly watchIntervalMs = 5000,
  ) {}

  private async status(): Promise<ServingStatus> {
    return (await this.readiness.check()).ready ? 'SERVING' : 'NOT_SERVING';
  }

  private known(service: string): boolean {
    return service === '' || this.services.includes(service);
  }

  readonly implementation: grpc.UntypedServiceImplementation = {
    Check: (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) => {
      if (!this.known(call.request.service)) {
        callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        return;
      }
      this.status().then((status) => callback(null, { status }), () => callback(null, { status: 'NOT_SERVING' }));
    },
    Watch: (call: grpc.ServerWritableStream<CheckRequest, CheckResponse>) => {
      if (!this.known(call.request.service)) {
        call.write({ status: 'SERVICE_UNKNOWN' });
        return;
      }
      this.watchers.add(call);
      let last: ServingStatus | undefined;
      const tick = (): void => {
        void this.status().then((s) => {
          if (s !== last && !call.cancelled) call.write({ status: s });
          last = s;
        });
      };
      tick();
      const timer = setInterval(tick, this.watchIntervalMs);
      call.on('cancelled', () => {
        clearInterval(timer);
        this.watchers.delete(call);
      });
      call.on('finish', () => clearInterval(timer));
    },
  };

  /** Tells watchers the service is going away and ends their streams. */
  close(): void {
    for (const call of this.watchers) {
      call.write({ status: 'NOT_SERVING' });
      call.end();
    }
    this.watchers.clear();
  }
}
