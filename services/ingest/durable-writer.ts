import type { VectorStore } from '../domain/ports.js';
import type { UserState } from '../domain/types.js';
import type { Logger } from '../core/logger.js';
import { writeUserStates } from './durable-users.js';

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
  /** Users waiting to be written beyond which `add` waits for the write in progress (backpressure). */
  readonly maxPending: number;
  readonly logger: Logger;
  readonly onFlush?: (users: number, ms: number) => void;
  /** States the durable store refused because it held a newer one (compare-and-set). */
  readonly onStale?: (count: number) => void;
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

  constructor(private readonly deps: DurableWriterDeps) {}

  /** Queues a batch's user states and the offsets to commit once they are durable. */
  async add(states: readonly UserState[], point: CommitPoint): Promise<void> {
    for (const s of states) this.pending.set(s.userId, s);
    this.commits.set(`${point.topic}:${point.partition}`, point);
    this.kick();
    while (this.pending.size >= this.deps.maxPending && this.flushing) await this.flushing;
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
      this.pending = new Map();
      const commits = [...this.commits.values()];
      this.commits = new Map();
      const started = performance.now();
      try {
        if (this.writing.size > 0) await writeUserStates(this.deps, this.writing.values());
      } catch (e) {
        this.requeue(commits);
        await this.backOff(e);
        continue;
      }
      this.deps.onFlush?.(this.writing.size, performance.now() - started);
      this.writing = new Map();
      this.failures = 0;
      await this.deps.commit(commits).catch((e: Error) => {
        // A rebalance took the partition away: the new owner reprocesses from the last commit, finds
        // the states in Redis and writes them again. Nothing to retry here.
        this.deps.logger.warn({ err: e.message }, 'offset commit failed; the batches will be redelivered and found already applied');
      });
    }
  }

  /** A failed write goes back in front of anything newer, with its offsets still uncommitted. */
  private requeue(commits: readonly CommitPoint[]): void {
    for (const [id, s] of this.writing) if (!this.pending.has(id)) this.pending.set(id, s);
    this.writing = new Map();
    for (const c of commits) {
      const key = `${c.topic}:${c.partition}`;
      if (!this.commits.has(key)) this.commits.set(key, c);
    }
  }

  private async backOff(e: unknown): Promise<void> {
    this.failures++;
    const ms = Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
    this.deps.logger.warn({ err: e instanceof Error ? e.message : String(e), retryInMs: ms, users: this.pending.size }, 'durable write failed; retrying');
    await new Promise((r) => setTimeout(r, ms));
  }
}
