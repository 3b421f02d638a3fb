/**
 * The live numbers the /ui operator panel shows about ingest, kept in one Redis hash per generation
 * (`<prefix>:<generation>:ops`): dead letters counted by reason (HINCRBY, so every ingest process
 * adds to the same counts) and each process' current freshness p99 (`freshness:<host>:<pid>` → JSON
 * `{p99Ms, at}`, refreshed every few seconds, removed on close). Prometheus stays the place for
 * history and alerts; this is what a person sees without running one.
 */
import { hostname } from 'node:os';
import type { Summary } from 'prom-client';
import type { DeadLetter, OpsStats } from '../../domain/ports/index.js';
import type { RedisClient } from './redis-client.js';
import type { Logger } from '../../core/logger.js';

const OPS_FRESHNESS_FIELD = 'freshness:';
const OPS_DLQ_FIELD = 'dlq:';
/** A freshness entry older than this belongs to an ingest process that stopped without cleaning up. */
const STALE_MS = 30_000;

/** The writing side (ingest). */
export class RedisOpsStats {
  private readonly field = `${OPS_FRESHNESS_FIELD}${hostname()}:${process.pid}`;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    /** RedisKeys.ops() of the generation. */
    private readonly key: string,
    private readonly freshness: Summary,
    private readonly logger: Logger,
  ) {}

  /**
   * Adds the letters to the per-reason counts (after they are on the DLQ topic). Never fails the
   * batch: a lost count only makes the panel show less, a failed batch would re-send the letters.
   */
  async countDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    // Most batches have none: an empty MULTI/EXEC would still cost every batch a Redis round trip.
    if (letters.length === 0) return;
    const byReason = new Map<string, number>();
    for (const l of letters) byReason.set(l.error.code, (byReason.get(l.error.code) ?? 0) + 1);
    const tx = this.redis.multi();
    for (const [reason, n] of byReason) tx.hincrby(this.key, `${OPS_DLQ_FIELD}${reason}`, n);
    await tx.exec().catch((e: unknown) => this.logger.warn({ err: e }, 'dead-letter counts not written'));
  }

  /** Publishes this process' freshness p99 every `intervalMs` until stop() (which removes it). */
  start(intervalMs = 2000): () => Promise<void> {
    const tick = (): void => {
      this.publishFreshness().catch((e: unknown) => this.logger.debug({ err: e }, 'ops stats not written'));
      this.timer = setTimeout(tick, intervalMs);
      this.timer.unref();
    };
    tick();
    return async () => {
      clearTimeout(this.timer);
      await this.redis.hdel(this.key, this.field).catch(() => undefined);
    };
  }

  private async publishFreshness(): Promise<void> {
    const { values } = await this.freshness.get();
    const p99 = values.find((v) => v.labels.quantile === 0.99)?.value;
    if (p99 === undefined || !Number.isFinite(p99)) return;
    await this.redis.hset(this.key, this.field, JSON.stringify({ p99Ms: Math.round(p99 * 1000), at: Date.now() }));
  }
}

/** What the ops hash holds, as the query service's /v1/ops/summary shows it. */

/** The reading side (the query service): the ops hash at `key` (RedisKeys.ops()) as of `now`. */
export async function readOpsStats(redis: RedisClient, key: string, now: number): Promise<OpsStats> {
  const hash = await redis.hgetall(key);
  return { deadLetters: deadLetterCounts(hash), freshnessP99Ms: worstFreshness(hash, now) };
}

function deadLetterCounts(hash: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash)) if (field.startsWith(OPS_DLQ_FIELD)) out[field.slice(OPS_DLQ_FIELD.length)] = Number(value);
  return out;
}

function worstFreshness(hash: Record<string, string>, now: number): number | null {
  let worst: number | null = null;
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith(OPS_FRESHNESS_FIELD)) continue;
    const { p99Ms, at } = JSON.parse(value) as { p99Ms: number; at: number };
    if (now - at <= STALE_MS) worst = Math.max(worst ?? 0, p99Ms);
  }
  return worst;
}
