/**
 * Read-your-writes: a query carrying a consistency token (`after`, services/core/consistency-token.ts)
 * is answered once ingest's progress (services/adapters/redis/redis-ingest-progress.ts) has passed
 * every offset the token names, or after AFTER_WAIT_MS with `freshness.caughtUp: false`.
 *
 * Waiting never blocks a Redis connection: one loop per generation and process polls the small
 * progress hash (HGETALL, a non-blocking command on the shared connection) while anyone waits,
 * 1 ms after a new waiter and then backing off to 8 ms (at most ~125 reads a second, only while
 * someone waits), and wakes every waiter it satisfies. The highest progress seen is remembered (it
 * only rises), so a token already reached answers without any Redis call.
 */
import { InterestStreamError } from '../domain/errors.js';
import { tokenReached, type ConsistencyToken } from '../core/consistency-token.js';

const FIRST_POLL_MS = 1;
const MAX_POLL_MS = 8;

interface Waiter {
  readonly token: ConsistencyToken;
  readonly resolve: (reached: boolean) => void;
  timer?: NodeJS.Timeout;
}

export class ProgressWaiter {
  private readonly known = new Map<number, bigint>();
  private readonly waiters = new Set<Waiter>();
  private loop: Promise<void> | undefined;
  private delay = FIRST_POLL_MS;

  /** `read`: partition → next offset ingest will fold (RedisIngestProgress.read of the topic). */
  constructor(private readonly read: () => Promise<ReadonlyMap<number, bigint>>) {}

  /** Resolves true once ingest has folded everything the token names, false after `waitMs`. */
  waitFor(token: ConsistencyToken, waitMs: number): Promise<boolean> {
    if (tokenReached(token, this.known)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = { token, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, waitMs);
      this.waiters.add(waiter);
      this.delay = FIRST_POLL_MS;
      this.loop ??= this.poll().finally(() => {
        this.loop = undefined;
      });
    });
  }

  private async poll(): Promise<void> {
    while (this.waiters.size > 0) {
      try {
        for (const [p, next] of await this.read()) if ((this.known.get(p) ?? -1n) < next) this.known.set(p, next);
      } catch {
        // Redis unreachable: keep trying until the waiters' deadlines answer them (caughtUp false).
      }
      for (const w of this.waiters) {
        if (!tokenReached(w.token, this.known)) continue;
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(true);
      }
      if (this.waiters.size === 0) return;
      await new Promise((r) => setTimeout(r, this.delay));
      this.delay = Math.min(MAX_POLL_MS, this.delay * 2);
    }
  }
}

export interface ReadYourWrites {
  /** The interactions topic this service's tokens must name (INTERACTIONS_TOPIC). */
  readonly topic: string;
  /** AFTER_WAIT_MS: the longest a query waits for ingest to reach its token. */
  readonly waitMs: number;
}

/**
 * `{}` without a token; else waits for it and returns `{ caughtUp }`. A token of another topic is
 * INVALID_INPUT naming `after` (its offsets mean nothing here).
 */
export async function awaitToken(progress: ProgressWaiter, after: ConsistencyToken | undefined, rw: ReadYourWrites): Promise<{ caughtUp?: boolean }> {
  if (after === undefined) return {};
  if (after.topic !== rw.topic) {
    throw new InterestStreamError('INVALID_INPUT', `after is a token of topic ${JSON.stringify(after.topic)}; this service reads ${JSON.stringify(rw.topic)}`, { details: { field: 'after' } });
  }
  return { caughtUp: await progress.waitFor(after, rw.waitMs) };
}
