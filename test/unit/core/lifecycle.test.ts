import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { Closers, SignalTrap, type ProcessSignals } from '../../../services/core/lifecycle.js';

/** A logger whose lines are kept, parsed, for assertions. */
function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

/** A process whose signals the test sends and whose exits it records. */
function fakeProcess() {
  const listeners = new Map<string, Array<() => void>>();
  const exits: number[] = [];
  const proc: ProcessSignals = {
    on: (signal, listener) => listeners.set(signal, [...(listeners.get(signal) ?? []), listener]),
    exit: (code) => void exits.push(code),
  };
  const send = (signal: string) => (listeners.get(signal) ?? []).forEach((l) => l());
  return { proc, exits, send, listeners };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Closers', () => {
  it('closes in reverse order of registration, once, and goes on past a closer that fails', async () => {
    const { logger, lines } = recordingLogger();
    const closers = new Closers(logger);
    const order: string[] = [];
    closers.add(async () => void order.push('redis'));
    closers.add(async () => {
      order.push('store');
      throw new Error('store would not close', { cause: new Error('socket gone') });
    });
    closers.add(async () => void order.push('consumer'));
    const first = closers.close();
    expect(closers.close()).toBe(first);
    await first;
    await closers.close();
    expect(order).toEqual(['consumer', 'store', 'redis']);
    const warned = lines.filter((l) => l.msg === 'error while closing');
    expect(warned).toHaveLength(1);
    // The error itself is logged, with its stack and its cause (pino's serializer joins the causes' messages).
    const err = warned[0]!.err as { type: string; message: string; stack: string };
    expect(err.type).toBe('Error');
    expect(err.message).toBe('store would not close: socket gone');
    expect(err.stack).toMatch(/^Error: store would not close\n\s+at /);
  });

  it('closes what a failed start-up had started, and rethrows its error', async () => {
    const closers = new Closers(recordingLogger().logger);
    const closed: string[] = [];
    const failure = new Error('no catalogue');
    const started = closers.starting(async () => {
      closers.add(async () => void closed.push('redis'));
      closers.add(async () => void closed.push('producer'));
      throw failure;
    });
    await expect(started).rejects.toBe(failure);
    expect(closed).toEqual(['producer', 'redis']);
  });
});

describe('SignalTrap', () => {
  it('is installed once per process: a second install returns the same trap and adds no listener', () => {
    const { proc, listeners } = fakeProcess();
    const { logger } = recordingLogger();
    const trap = SignalTrap.install(logger, undefined, proc);
    expect(SignalTrap.install(logger, undefined, proc)).toBe(trap);
    expect(listeners.get('SIGTERM')).toHaveLength(1);
    expect(listeners.get('SIGINT')).toHaveLength(1);
  });

  it('closes the service once on the first signal, runs afterClose, and exits 0', async () => {
    const { proc, exits, send } = fakeProcess();
    const order: string[] = [];
    const trap = SignalTrap.install(recordingLogger().logger, async () => void order.push('after'), proc);
    let closes = 0;
    trap.serve(async () => {
      closes++;
      order.push('close');
    }, 1000);
    send('SIGTERM');
    send('SIGINT');
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(closes).toBe(1);
    expect(order).toEqual(['close', 'after']);
  });

  it('acts on a signal that came during start-up as soon as the service is served', async () => {
    const { proc, exits, send } = fakeProcess();
    const trap = SignalTrap.install(recordingLogger().logger, undefined, proc);
    send('SIGINT');
    let closed = false;
    trap.serve(async () => void (closed = true), 1000);
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(closed).toBe(true);
  });

  it('exits 1 and says so when the close outlasts the grace period', async () => {
    vi.useFakeTimers();
    const { proc, exits, send } = fakeProcess();
    const { logger, lines } = recordingLogger();
    const trap = SignalTrap.install(logger, undefined, proc);
    trap.serve(() => new Promise<void>(() => {}), 5000);
    send('SIGTERM');
    await vi.advanceTimersByTimeAsync(4999);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    expect(lines.find((l) => l.msg === 'shutdown grace period over; exiting')).toMatchObject({ level: 50, graceMs: 5000 });
  });

  it('exits 1 when the close fails, logging the error', async () => {
    const { proc, exits, send } = fakeProcess();
    const { logger, lines } = recordingLogger();
    const trap = SignalTrap.install(logger, undefined, proc);
    trap.serve(() => Promise.reject(new Error('drain failed')), 1000);
    send('SIGTERM');
    await vi.waitFor(() => expect(exits).toEqual([1]));
    expect((lines.find((l) => l.msg === 'error during shutdown')!.err as { message: string }).message).toBe('drain failed');
  });
});
