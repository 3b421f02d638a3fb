/**
 * API keys, scopes and rate limits, applied the same way to every non-public HTTP route and every
 * gRPC call (health excepted), so a client cannot double its budget by switching transport.
 */
import { timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { keyDigest, scopeAllows, type ApiKeySpec, type ApiScope } from '../core/api-keys.js';
import type { RateDecision, RateLimiter } from '../domain/ports/index.js';
import type { Logger } from '../core/logger.js';

export type AccessFailure = 'unauthenticated' | 'forbidden' | 'rate_limited' | 'overloaded';

/** A refused request: 401 / UNAUTHENTICATED, 403 / PERMISSION_DENIED, 429 / RESOURCE_EXHAUSTED or 503. Messages never echo the key. */
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

/** Who is calling: the key's id (undefined without keys) and the client address. */
export interface Caller {
  readonly keyId: string | undefined;
  readonly address: string;
}

/** The budgets, per minute; `perAddress` 0 means no limit per address. */
export interface RatePolicy {
  readonly perKey: number;
  readonly perAddress: number;
  readonly authFailures: number;
}

interface StoredKey {
  readonly spec: ApiKeySpec;
  readonly digest: Buffer;
}

/**
 * Checks `Authorization: Bearer <key>` against the configured keys (none configured = open), the
 * key's scope against what the call needs, and charges the caller's budget: per key with keys, per
 * address without (when configured); a failed authentication is charged to the address, so
 * guessing keys is throttled.
 */
export class AccessGuard {
  private readonly keys: StoredKey[];

  constructor(
    keys: readonly ApiKeySpec[],
    private readonly limiter: RateLimiter,
    private readonly policy: RatePolicy,
    private readonly inFlight?: InFlightLimit,
  ) {
    this.keys = keys.map((spec) => ({ spec, digest: Buffer.from(spec.digest, 'hex') }));
  }

  /** Takes a place among the requests in progress (throws AccessError 'overloaded'); call the result when done. */
  enter(): () => void {
    return this.inFlight ? this.inFlight.enter() : () => {};
  }

  get authRequired(): boolean {
    return this.keys.length > 0;
  }

  /** Resolves to the caller when the request may proceed; throws AccessError otherwise. */
  async admit(authorization: string | undefined, address: string, needed: ApiScope): Promise<Caller> {
    if (!this.authRequired) {
      if (this.policy.perAddress > 0) await this.charge(`addr:${address}`, this.policy.perAddress, 'this client address');
      return { keyId: undefined, address };
    }
    let key: ApiKeySpec;
    try {
      key = this.authenticate(authorization);
    } catch (e) {
      await this.charge(`authfail:${address}`, this.policy.authFailures, 'failed authentications from this client address');
      throw e;
    }
    await this.charge(`key:${key.id}`, this.policy.perKey, `API key "${key.id}"`);
    if (!scopeAllows(key.scope, needed)) {
      throw new AccessError('forbidden', `API key "${key.id}" has the ${key.scope} scope; this call needs ${needed}`);
    }
    return { keyId: key.id, address };
  }

  private async charge(bucket: string, perMinute: number, who: string): Promise<void> {
    const decision = await this.limiter.take(bucket, perMinute);
    if (decision.allowed) return;
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new AccessError('rate_limited', `rate limit of ${perMinute} requests per minute for ${who} exceeded; retry in ${seconds} s`, decision.retryAfterMs);
  }

  private authenticate(authorization: string | undefined): ApiKeySpec {
    if (authorization === undefined || authorization === '') {
      throw new AccessError('unauthenticated', 'missing API key: send "Authorization: Bearer <key>"');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) throw new AccessError('unauthenticated', 'malformed Authorization header: expected "Bearer <key>"');
    const presented = Buffer.from(keyDigest(match[1]!), 'hex');
    // Compare fixed-length digests in constant time, against every key, so timing reveals nothing.
    let found: ApiKeySpec | undefined;
    for (const k of this.keys) if (timingSafeEqual(k.digest, presented)) found ??= k.spec;
    if (found === undefined) throw new AccessError('unauthenticated', 'invalid API key');
    return found;
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * In-process token buckets: the fake of the RateLimiter port for unit tests (the service uses
 * RedisRateLimiter, shared by replicas); both pass test/unit/query/rate-limiter.contract.ts.
 * Buckets live in an LRU; one evicted under pressure comes back full (more lenient, never wrong).
 */
export class TokenBucketLimiter implements RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(
    private readonly now: () => number = Date.now,
    maxClients = 100_000,
  ) {
    this.buckets = new LRUCache({ max: maxClients });
  }

  async take(bucket: string, perMinute: number): Promise<RateDecision> {
    const perMs = perMinute / 60_000;
    const now = this.now();
    const b = this.buckets.get(bucket) ?? { tokens: perMinute, at: now };
    b.tokens = Math.min(perMinute, b.tokens + (now - b.at) * perMs);
    b.at = now;
    this.buckets.set(bucket, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens), retryAfterMs: 0 };
    }
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil((1 - b.tokens) / perMs) };
  }
}

/**
 * The shared limiter (Redis: one budget across replicas), and this process' own buckets while the
 * shared one cannot answer: a Redis outage neither fails every request nor lifts the limit — each
 * replica then charges its own budget (N replicas allow up to N budgets) until Redis answers again.
 * The switch is logged once each way and reported to `onDegraded` (the query_rate_limiter_degraded
 * gauge), not once per request.
 */
export class LocalFallbackLimiter implements RateLimiter {
  private readonly local: TokenBucketLimiter;
  private degraded = false;

  constructor(
    private readonly shared: RateLimiter,
    private readonly log: Logger,
    private readonly onDegraded: (degraded: boolean) => void = () => {},
    now: () => number = Date.now,
  ) {
    this.local = new TokenBucketLimiter(now);
  }

  async take(bucket: string, perMinute: number): Promise<RateDecision> {
    let decision: RateDecision;
    try {
      decision = await this.shared.take(bucket, perMinute);
    } catch (e) {
      this.switchTo(true, e);
      return this.local.take(bucket, perMinute);
    }
    this.switchTo(false);
    return decision;
  }

  private switchTo(degraded: boolean, err?: unknown): void {
    if (this.degraded === degraded) return;
    this.degraded = degraded;
    this.onDegraded(degraded);
    if (degraded) this.log.warn({ err }, 'rate limiter: the shared buckets (Redis) cannot answer; this replica charges its own budget until they can');
    else this.log.info('rate limiter: the shared buckets (Redis) answer again');
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
