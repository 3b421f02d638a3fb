import type { Table } from '@lancedb/lancedb';
import type { Logger } from '../../core/logger.js';

// Compaction keeps versions this recent so that a reader in another process never loses the files
// of the version it is scanning.
const KEEP_VERSIONS_MS = 5 * 60_000;

/**
 * The embedded store's writes in this process: serialised per table, and every `compactEvery` writes
 * the table is compacted (each small upsert adds a fragment, and scans slow down as fragments pile up).
 */
export class TableWrites {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly compactEvery: number,
    private readonly log: Logger,
  ) {}

  /** Runs `op` once every earlier op under `key` has settled, whatever their outcome. */
  serialised<T>(key: string, op: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(op, op);
    const settled = run.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => this.chains.get(key) === settled && this.chains.delete(key));
    return run;
  }

  /** One write to the table `name` (found by `table` when it is time to compact). */
  async write(name: string, op: () => Promise<unknown>, table: () => Promise<{ table: Table } | undefined>): Promise<void> {
    await this.serialised(name, async () => {
      await op();
      const n = (this.counts.get(name) ?? 0) + 1;
      this.counts.set(name, n % this.compactEvery);
      if (n >= this.compactEvery) await this.compact(name, (await table())?.table);
    });
  }

  forget(name: string): void {
    this.counts.delete(name);
  }

  /** Settles once every write queued so far has. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }

  private async compact(name: string, table: Table | undefined): Promise<void> {
    try {
      const stats = await table?.optimize({ cleanupOlderThan: new Date(Date.now() - KEEP_VERSIONS_MS) });
      this.log.debug({ collection: name, ...stats?.compaction }, 'compacted');
    } catch (e) {
      // A failed compaction loses nothing; the next one retries.
      this.log.warn({ collection: name, err: e }, 'compaction failed');
    }
  }
}
