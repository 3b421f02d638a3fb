/** Load generators for the query benchmark: an open loop at a fixed rate and a closed loop. */
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../services/query/grpc-protos.js';
import { sleep } from './env.js';

/** A request slower than this counts as an error. */
const TIMEOUT_MS = 10_000;
/**
 * Requests the open loop lets wait at once. Beyond it a scheduled request is not sent and counts as
 * shed: an embedded-store search holds a scan of the whole table, so an overloaded service given
 * an unbounded queue grows by gigabytes (measured: 23 GB at 100k items, 100 requests/s).
 */
export const MAX_IN_FLIGHT = 16;

/** One request; resolves when the full answer has arrived, rejects on any error status. */
export type Request = (userId: string) => Promise<void>;

export function httpRequest(port: number): Request {
  return async (userId) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/users/${userId}/recommendations?limit=10`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = (await res.json()) as { items?: unknown[] };
    if (!res.ok || !Array.isArray(body.items) || body.items.length === 0) throw new Error(`HTTP ${res.status}`);
  };
}

type Unary = (req: object, md: grpc.Metadata, options: grpc.CallOptions, cb: (err: unknown, res: { items?: unknown[] }) => void) => void;

export function grpcClient(port: number): { request: Request; close: () => void } {
  const protos = loadProtos();
  const client = new protos.recommendations(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Recommend: Unary };
  const request: Request = (userId) =>
    new Promise((resolve, reject) =>
      client.Recommend({ user_id: userId, limit: 10 }, new grpc.Metadata(), { deadline: Date.now() + TIMEOUT_MS }, (err, res) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else if (!res.items || res.items.length === 0) reject(new Error('empty answer'));
        else resolve();
      }),
    );
  return { request, close: () => client.close() };
}

export interface OpenLoopResult {
  readonly latencies: number[];
  readonly errors: number;
  /** Scheduled requests not sent because MAX_IN_FLIGHT were still waiting (the service is saturated). */
  readonly shed: number;
  /** Worst lateness of a send against its schedule (the load generator shares the CPU). */
  readonly maxLagMs: number;
}

/** `rate` requests per second for `seconds`, each sent on schedule whether or not earlier ones finished. */
export async function openLoop(request: Request, users: readonly string[], rate: number, seconds: number): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  let maxLagMs = 0;
  let shed = 0;
  let waiting = 0;
  const inFlight: Array<Promise<void>> = [];
  const started = performance.now();
  const n = Math.round(rate * seconds);
  for (let i = 0; i < n; i++) {
    const due = started + (i * 1000) / rate;
    await sleep(Math.max(0, due - performance.now()));
    const t = performance.now();
    maxLagMs = Math.max(maxLagMs, t - due);
    if (waiting >= MAX_IN_FLIGHT) {
      shed++;
      continue;
    }
    waiting++;
    inFlight.push(
      request(users[i % users.length]!)
        .then(
          () => void latencies.push(performance.now() - t),
          () => void errors++,
        )
        .finally(() => waiting--),
    );
  }
  await Promise.all(inFlight);
  return { latencies, errors, shed, maxLagMs };
}

/** `concurrency` clients each sending the next request as soon as the last answered; requests per second. */
export async function closedLoop(request: Request, users: readonly string[], concurrency: number, seconds: number): Promise<{ rps: number; errors: number; latencies: number[] }> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await request(users[next++ % users.length]!).then(
        () => void latencies.push(performance.now() - t),
        () => void errors++,
      );
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { rps: latencies.length / ((performance.now() - started) / 1000), errors, latencies };
}
