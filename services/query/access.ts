/**
 * API keys and per-client rate limits, applied the same way to every /v1 HTTP route and every
 * gRPC call (health checks excepted), so a client cannot double its budget by switching transport.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { RateDecision, RateLimiter } from './ports.js';

export type AccessFailure = 'unauthenticated' | 'rate_limited' | 'overloaded';

/** A refused request: 401 / UNAUTHENTICATED or 429 / RESOURCE_EXHAUSTED. Messages never echo the key. */
export class AccessError extends Error {
  constructor(
    readonly failure: AccessFailure,
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
    this.name = 'AccessError';
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Checks `Authorization: Bearer <key>` against the configured keys (none configured = open) and
 * charges the caller's rate limit. Clients are identified by a short hash of their key (never the
 * key itself, which must not reach logs or metrics), or by their address when keys are off.
 */
export class AccessGuard {
  private readonly keyHashes: Buffer[];

  constructor(
    apiKeys: readonly string[],
    private readonly limiter: RateLimiter,
    private readonly inFlight?: InFlightLimit,
  ) {
    this.keyHashes = apiKeys.map(sha256);
  }

  /** Takes a place among the requests in progress (throws AccessError 'overloaded'); call the result when done. */
  enter(): () => void {
    return this.inFlight ? this.inFlight.enter() : () => {};
  }

  get authRequired(): boolean {
    return this.keyHashes.length > 0;
  }

  /** Resolves to the client id when the request may proceed; throws AccessError otherwise. */
  async admit(authorization: string | undefined, address: string): Promise<string> {
    const client = this.authenticate(authorization) ?? `addr:${address}`;
    const decision = await this.limiter.take(client);
    if (!decision.allowed) {
      throw new AccessError('rate_limited', `rate limit exceeded; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`, decision.retryAfterMs);
    }
    return client;
  }

  private authenticate(authorization: string | undefined): string | undefined {
    if (!this.authRequired) return undefined;
    if (authorization === undefined || authorization === '') {
      throw new AccessError('unauthenticated', 'missing API key: send "Authorization: Bearer <key>"');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) throw new AccessError('unauthenticated', 'malformed Authorization header: expected "Bearer <key>"');
    const presented = sha256(match[1]!);
    // Compare fixed-length digests in constant time, against every key, so timing reveals nothing.
    let found = false;
    for (const h of this.keyHashes) found = timingSafeEqual(h, presented) || found;
    if (!found) throw new AccessError('unauthenticated', 'invalid API key');
    return `key:${presented.toString('hex', 0, 6)}`;
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per client: `perMinute` tokens, refilled continuously, so a client may burst up to
 * a minute's budget and then gets a steady `perMinute / 60` per second.
 *
 * In-process by design: it costs no network round trip per request, and with N query replicas
 * behind a load balancer a client's effective budget is at most N × perMinute, which the
 * RATE_LIMIT_PER_MINUTE value accounts for. Buckets live in an LRU; a bucket evicted under
 * pressure comes back full, which can only make the limiter more lenient, never wrongly refuse.
 */
export class TokenBucketLimiter implements RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    maxClients = 100_000,
  ) {
    this.perMs = perMinute / 60_000;
    this.buckets = new LRUCache({ max: maxClients });
  }

  async take(client: string): Promise<RateDecision> {
    const now = this.now();
    const b = this.buckets.get(client) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    this.buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens), retryAfterMs: 0 };
    }
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil((1 - b.tokens) / this.perMs) };
  }
}

/**
 * A cap on requests in progress (QUERY_MAX_IN_FLIGHT), shared by HTTP and gRPC: beyond it a request
 * is refused at once (503 / UNAVAILABLE, retry after a second) instead of queueing until the
 * process runs out of memory under a load it cannot serve.
 */
export class InFlightLimit {
  private inFlight = 0;

  constructor(readonly max: number) {}

  get current(): number {
    return this.inFlight;
  }

  /** Takes a place, or throws AccessError('overloaded'); the returned function gives it back (once). */
  enter(): () => void {
    if (this.inFlight >= this.max) {
      throw new AccessError('overloaded', `the query service is at capacity (${this.max} requests in progress); retry shortly`, 1000);
    }
    this.inFlight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.inFlight--;
    };
  }
}
