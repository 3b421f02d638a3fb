import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Builds one metric in the given registries. */
export type Define<M> = (registers: Registry[]) => M;

export function counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Define<Counter<L>> {
  return (registers) => new Counter<L>({ name, help, labelNames, registers });
}

export function gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Define<Gauge<L>> {
  return (registers) => new Gauge<L>({ name, help, labelNames, registers });
}

export function histogram(name: string, help: string, buckets: number[]): Define<Histogram> {
  return (registers) => new Histogram({ name, help, buckets, registers });
}

/** A process' registry: each service gets its own (several share a process in tests and the demo), with Node's default metrics unless turned off. */
export function processRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'interest_stream_' });
  return registry;
}

/** Registers every definition in `registry`, in the definitions' order (the order /metrics lists them in). */
export function defineAll<T extends object>(registry: Registry, definitions: { [K in keyof T]: Define<T[K]> }): T {
  const registers = [registry];
  return Object.fromEntries(Object.entries(definitions).map(([key, define]) => [key, (define as Define<unknown>)(registers)])) as T;
}
