import type { Logger } from '../core/logger.js';
import { toInterestStreamError } from '../domain/errors.js';
import type { HistoryLog } from '../domain/ports/index.js';
import { runShard, type ShardRunDeps, type ShardRunEnd, type ShardRunTally } from './shard-run.js';
import type { ShardRunLabel } from './metrics.js';

export interface SnapshotterOptions {
  /** Where snapshots go: one fenced, transactional writer per leased shard. */
  readonly history: HistoryLog;
  readonly run: ShardRunDeps;
  readonly shards: number;
  readonly intervalMs: number;
  /** How long after a window ends its events may still arrive (SNAPSHOT_LATENESS_MS). */
  readonly latenessMs: number;
  readonly logger: Logger;
}

/** What one pass over the shards did. */
export interface PassSummary extends ShardRunTally {
  readonly window: number;
  /** Shards this instance completed for the window. */
  readonly shards: number;
}

/**
 * The scheduler: every tick it computes the pass window (floor((now - lateness) / interval): every
 * user window before it is closed) and, for each shard not yet completed for that window, tries to
 * lease it and snapshot its dirty users whose window has closed. Shards
 * are visited from a random offset so that instances started together spread over them.
 */
export class Snapshotter {
  private closing = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private closed: Promise<void> | undefined;
  /** Each shard's last completed window as last read (-1: none yet), with this instance's completions since. */
  private readonly done: number[];
  /** The backlog gauge counts from here at most: a shard never completed has not been due since 1970. */
  private readonly startedAt: number;

  constructor(private readonly opts: SnapshotterOptions) {
    this.done = Array<number>(opts.shards).fill(-1);
    this.startedAt = opts.run.now();
  }

  /** How often the scheduler looks for work: a quarter window, at most a second. */
  get tickMs(): number {
    return Math.min(1000, Math.max(25, Math.floor(this.opts.intervalMs / 4)));
  }

  start(): void {
    this.loop ??= this.runLoop();
  }

  /** Stops after the chunk in flight (its transaction commits and its claims are confirmed). Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      this.wake?.();
      await this.loop;
    })();
    return this.closed;
  }

  /** One pass over every shard for the current window; the backlog gauge is set after it, even when it fails. */
  async pass(): Promise<PassSummary> {
    try {
      return await this.visitShards();
    } finally {
      this.reportBacklog();
    }
  }

  private async visitShards(): Promise<PassSummary> {
    const { run, shards, intervalMs, latenessMs } = this.opts;
    const window = Math.floor((run.now() - latenessMs) / intervalMs);
    const done = await run.leases.doneWindows(shards);
    this.done.splice(0, shards, ...done);
    const summary = { window, shards: 0, sent: 0, unchanged: 0, deferred: 0 };
    const offset = Math.floor(Math.random() * shards);
    for (let i = 0; i < shards && !this.closing; i++) {
      const shard = (offset + i) % shards;
      if (done[shard]! >= window || !(await run.leases.acquire(shard))) continue;
      run.metrics.leasesHeld.inc();
      try {
        const { end, tally } = await this.runLeased(shard, window);
        summary.sent += tally.sent;
        summary.unchanged += tally.unchanged;
        summary.deferred += tally.deferred;
        if (end === 'complete') {
          summary.shards++;
          this.done[shard] = window;
        }
      } finally {
        await this.release(shard);
      }
    }
    return summary;
  }

  private async release(shard: number): Promise<void> {
    const { leases, metrics } = this.opts.run;
    try {
      await leases.release(shard);
    } catch (e) {
      metrics.errors.inc({ stage: 'lease_release', code: toInterestStreamError(e).code });
      this.opts.logger.warn({ shard, err: e }, 'could not release a shard lease; it expires');
    } finally {
      metrics.leasesHeld.dec();
    }
  }

  /**
   * Sets the backlog gauge: how long the oldest window some shard has not completed has been due (a
   * shard done for window d is due again once window d closes plus the lateness). It keeps growing
   * while passes fail, so it is what shows that snapshots have stopped.
   */
  private reportBacklog(): void {
    const { run, intervalMs, latenessMs } = this.opts;
    const now = run.now();
    const dueSince = Math.min(...this.done.map((d) => Math.max((d + 1) * intervalMs + latenessMs, this.startedAt)));
    run.metrics.backlogSeconds.set(Math.max(0, now - dueSince) / 1000);
  }

  private async runLoop(): Promise<void> {
    const log = this.opts.logger;
    while (!this.closing) {
      try {
        const s = await this.pass();
        if (s.sent > 0 || s.shards > 0) log.debug(s, 'snapshot pass');
        if (s.sent > 0) log.info({ window: s.window, sent: s.sent, shards: s.shards }, 'interest snapshots sent');
      } catch (e) {
        this.opts.run.metrics.errors.inc({ stage: 'pass', code: toInterestStreamError(e).code });
        log.warn({ err: e }, 'snapshot pass failed; retrying next tick');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.tickMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Runs the leased shard, timed and counted by how it ended. */
  private async runLeased(shard: number, window: number): Promise<{ end: ShardRunEnd; tally: ShardRunTally }> {
    const { metrics } = this.opts.run;
    const stopTimer = metrics.shardRunSeconds.startTimer();
    let end: ShardRunLabel = 'failed';
    try {
      const result = await this.runWithWriter(shard, window);
      end = result.end === 'lease-lost' ? 'lease_lost' : result.end;
      return result;
    } finally {
      metrics.shardRuns.inc({ end });
      stopTimer();
    }
  }

  /**
   * A fresh writer per lease: opening it fences the shard's earlier writers (HistoryLog), so only
   * the current holder can commit snapshots for the shard.
   */
  private async runWithWriter(shard: number, window: number): Promise<{ end: ShardRunEnd; tally: ShardRunTally }> {
    const writer = await this.opts.history.openShard(shard);
    try {
      const result = await runShard(this.opts.run, writer, shard, window, () => this.closing);
      if (result.end === 'complete' && !(await this.opts.run.leases.finish(shard, window))) return { ...result, end: 'lease-lost' };
      if (result.end === 'lease-lost') this.opts.logger.warn({ shard, window }, 'shard lease lost mid-run; its holder resumes it');
      return result;
    } finally {
      await writer.close();
    }
  }
}
