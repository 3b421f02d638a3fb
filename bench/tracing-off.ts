/**
 * `npx tsx bench/tracing-off.ts`: what tracing costs when it is off (OTEL_EXPORTER_OTLP_ENDPOINT
 * unset, the default). Every traced path — a publish, an ingest batch, a query and its Redis and
 * vector-store calls — goes through `inSpan` and `traceHeaders`; with tracing off they must cost
 * nothing next to the work they wrap. Measured as a ratio against the same async work called
 * directly, in the same run; prints one JSON line.
 */
import { inSpan, traceHeaders, tracingEnabled } from '../services/core/tracing.js';

const CALLS = 2_000_000;
const ROUNDS = 7;

// Work of the size of the smallest traced call (a cached Redis reply): a few dozen operations.
async function work(i: number): Promise<number> {
  let x = i;
  for (let k = 0; k < 16; k++) x = (x * 31 + k) | 0;
  return x;
}

async function direct(): Promise<number> {
  let acc = 0;
  for (let i = 0; i < CALLS; i++) acc ^= await work(i);
  return acc;
}

async function wrapped(): Promise<number> {
  let acc = 0;
  for (let i = 0; i < CALLS; i++) {
    const headers = traceHeaders();
    acc ^= await inSpan('bench', () => ({}), () => work(i + (headers ? 1 : 0)));
  }
  return acc;
}

async function nsPerCall(fn: () => Promise<number>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / CALLS;
}

async function main(): Promise<void> {
  if (tracingEnabled()) throw new Error('tracing is on in this process: the bench measures it off');
  const base: number[] = [];
  const traced: number[] = [];
  // Interleaved rounds, so drift of the machine's load falls on both sides alike.
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await nsPerCall(direct));
    traced.push(await nsPerCall(wrapped));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const b = median(base);
  const t = median(traced);
  console.log(JSON.stringify({ bench: 'tracing-off', calls: CALLS, rounds: ROUNDS, directNsPerCall: +b.toFixed(1), tracedOffNsPerCall: +t.toFixed(1), extraNsPerCall: +(t - b).toFixed(1), ratio: +(t / b).toFixed(3) }));
}

await main();
