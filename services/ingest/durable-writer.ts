import type { VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import type { Logger } from '../core/logger.js';
import { toUserPoint } from '../core/user-record.js';
import { hasVersion, writeUserPoints } from './durable-users.js';
import { pass } from '../core/gates.js';
import { chunkPoints, stateHeapBytes, type ChunkLimits } from './write-budget.js';

/** The next offset to commit for one partition. */
export interface CommitPoint {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface DurableWriterDeps {
  readonly store: VectorStore;
  readonly usersCollection: string;
  readonly dimension: number;
  /** Commits offsets; called only once every state up to them is in the durable store. */
  readonly commit: (points: readonly CommitPoint[]) => Promise<void>;
  /**
   * Users held (waiting or being written) at which the writer asks the consumer to pause fetching
   * (`onPressure(true)`); it resumes below half. At twice this, `add` itself waits for the write.
   */
  readonly maxPending: number;
  /** The same cap in estimated heap bytes (config INGEST_MAX_PENDING_BYTES); none when absent. */
  readonly maxPendingBytes?: number;
  /** Limits of one upsert request (config DURABLE_CHUNK_POINTS / DURABLE_CHUNK_BYTES); one request when absent. */
  readonly chunks?: ChunkLimits;
  readonly logger: Logger;
  readonly onFlush?: (users: number, ms: number) => void;
  /** States the durable store refused because it held a newer one (compare-and-set). */
  readonly onStale?: (count: number) => void;
  /** Back-pressure: true when the consumer should stop fetching, false when it may resume. */
  readonly onPressure?: (paused: boolean) => void;
  /** Users and estimated bytes held, after every change (metrics). */
  readonly onHeld?: (users: number, bytes: number) => void;
}

/**
 * Writes user states to the durable users collection behind the Redis writes, and commits Kafka
 * offsets only after the states they cover are durable.
 *
 * Redis is written per batch (what queries read, within milliseconds); the durable write of a
 * vector store costs tens of milliseconds whatever its size, so batches that arrive while one is in
 * progress are coalesced into the next (a user written twice is written once, at its latest state).
 * A crash loses nothing: offsets past the last durable write are not committed, the batches are
 * redelivered, found stale in Redis, and their users written again. While a state is waiting here
 * it is also served from here when Redis loses it, so a rehydration never goes back in time.
 */
export class DurableWriter {
  private pending = new Map<string, UserState>();
  private writing = new Map<string, UserState>();
  private commits = new Map<string, CommitPoint>();
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private pendingBytes = 0;
  private writingBytes = 0;
  private paused = false;

  constructor(private readonly deps: DurableWriterDeps) {}

  /** Queues a batch's user states and the offsets to commit once they are durable (one per partition the batch read). */
  async add(states: readonly UserState[], points: CommitPoint | readonly CommitPoint[]): Promise<void> {
    for (const s of states) {
      const old = this.pending.get(s.userId);
      this.pendingBytes += stateHeapBytes(s) - (old ? stateHeapBytes(old) : 0);
      this.pending.set(s.userId, s);
    }
    for (const point of 'topic' in points ? [points] : points) this.commits.set(`${point.topic}:${point.partition}`, point);
    this.kick();
    this.checkPressure();
    while (this.load() >= 2 && this.flushing) await this.flushing;
  }

  /** How full the writer is: held users or bytes over their cap, whichever is higher (1 = at the cap). */
  private load(): number {
    const users = (this.pending.size + this.writing.size) / this.deps.maxPending;
    const bytes = this.deps.maxPendingBytes ? (this.pendingBytes + this.writingBytes) / this.deps.maxPendingBytes : 0;
    return Math.max(users, bytes);
  }

  /** Pauses the consumer at the cap and resumes it below half: hysteresis, so it does not flap per batch. */
  private checkPressure(): void {
    this.deps.onHeld?.(this.pending.size + this.writing.size, this.pendingBytes + this.writingBytes);
    const load = this.load();
    if (!this.paused && load >= 1) {
      this.paused = true;
      this.deps.onPressure?.(true);
    } else if (this.paused && load < 0.5) {
      this.paused = false;
      this.deps.onPressure?.(false);
    }
  }

  /** States not yet durable, by user id: fresher than the durable store, for rehydration. */
  get(userIds: readonly string[]): Map<string, UserState> {
    const out = new Map<string, UserState>();
    for (const id of userIds) {
      const s = this.pending.get(id) ?? this.writing.get(id);
      if (s) out.set(id, s);
    }
    return out;
  }

  /** Resolves when everything queued so far is durable and committed (shutdown). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private kick(): void {
    this.flushing ??= this.loop().finally(() => {
      this.flushing = undefined;
      if (this.pending.size > 0 || this.commits.size > 0) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.pending.size > 0 || this.commits.size > 0) {
      this.writing = this.pending;
      this.writingBytes = this.pendingBytes;
      this.pending = new Map();
      this.pendingBytes = 0;
      const commits = [...this.commits.values()];
      this.commits = new Map();
      const started = performance.now();
      const users = this.writing.size;
      try {
        await this.writeChunks();
      } catch (e) {
        this.requeue(commits);
        await this.backOff(e);
        continue;
      }
      this.deps.onFlush?.(users, performance.now() - started);
      this.writing = new Map();
      this.writingBytes = 0;
      this.failures = 0;
      this.checkPressure();
      await this.deps.commit(commits).catch((e: Error) => {
        // A rebalance took the partition away: the new owner reprocesses from the last commit, finds
        // the states in Redis and writes them again. Nothing to retry here.
        this.deps.logger.warn({ err: e }, 'offset commit failed; the batches will be redelivered and found already applied');
      });
    }
  }

  /**
   * Writes the held states in requests under the chunk limits. Points are built per chunk, so only
   * one request's JSON-bound copy exists at a time; a written chunk leaves `writing` at once, so a
   * failure later in the flush retries only what is not yet durable.
   */
  private async writeChunks(): Promise<void> {
    const limits = this.deps.chunks ?? { maxPoints: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER };
    const ids = [...this.writing.keys()];
    for (let i = 0; i < ids.length; i += limits.maxPoints) {
      const slice = ids.slice(i, i + limits.maxPoints);
      const states = slice.map((id) => this.writing.get(id)!);
      for (const s of states) if (!hasVersion(s)) this.release(s.userId);
      const points = states.filter(hasVersion).map((s) => toUserPoint(s, this.deps.dimension));
      for (const chunk of chunkPoints(points, limits)) {
        await pass('durable:write', () => chunk.map((p) => p.id));
        await writeUserPoints(this.deps, chunk);
        for (const p of chunk) this.release(p.id);
        this.checkPressure();
      }
    }
  }
  /** A state is durable (or needs no record): it leaves `writing`. */
  private release(userId: string): void {
    this.writingBytes -= stateHeapBytes(this.writing.get(userId)!);
    this.writing.delete(userId);
  }


  /** A failed write goes back in front of anything newer, with its offsets still uncommitted. */
  private requeue(commits: readonly CommitPoint[]): void {
    for (const [id, s] of this.writing) {
      if (this.pending.has(id)) continue;
      this.pending.set(id, s);
      this.pendingBytes += stateHeapBytes(s);
    }
    this.writing = new Map();
    this.writingBytes = 0;
    for (const c of commits) {
      const key = `${c.topic}:${c.partition}`;
      if (!this.commits.has(key)) this.commits.set(key, c);
    }
  }

  private async backOff(e: unknown): Promise<void> {
    this.failures++;
    const ms = Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
    this.deps.logger.warn({ err: e, retryInMs: ms, users: this.pending.size }, 'durable write failed; retrying');
    await new Promise((r) => setTimeout(r, ms));
  }
}
